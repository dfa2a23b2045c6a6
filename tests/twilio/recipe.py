import re

from twilio.http.http_client import TwilioHttpClient

# Twilio's SDK has no base-URL option: this HTTP client sends its Verify requests to smsotp.
TWILIO_VERIFY = re.compile(r"^https://verify(\.[^/]*)?\.twilio\.com(?=/|$)")


class SmsotpHttpClient(TwilioHttpClient):
    def __init__(self, base_url, **options):
        super().__init__(**options)  # TwilioHttpClient's options (timeout, max_retries, ...)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        return super().request(method, TWILIO_VERIFY.sub(self.base_url, url), *args, **kwargs)


# client = Client(account_sid, auth_token, http_client=SmsotpHttpClient("https://otp.example.com"))
# With an API key: Client(api_key_sid, api_key_secret, account_sid=account_sid, http_client=...)
