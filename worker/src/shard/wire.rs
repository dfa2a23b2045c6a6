//! What the worker sends a shard and what it answers (internal JSON), and the worker's
//! call to a shard.

use serde::{Deserialize, Serialize};
use smsotp_core::{Channel, DeliveryStatus, ErrorCode, OtpRecord, OtpRequest};
use smsotp_edge::delivery::{DeliveryPolicy, Route, Step};
use smsotp_edge::guard::{CountryVerdict, GuardMode, GuardPolicy};
use smsotp_edge::limits::AbuseLimits;
use smsotp_edge::limits::NumberLimits;
use worker::{Env, Result};

use crate::durable::{self, Message, RowUsage, WireError};
use crate::error::AppError;
use crate::usage::Usage;

/// The binding of the `OtpShard` namespace (wrangler.toml).
pub const BINDING: &str = "OTP_SHARD";

/// An operation on a shard (internal JSON, from the worker).
///
/// Externally tagged (serde's default, `{"check": {…}}`), like the other enums of the
/// worker's Durable Object wire: an internally tagged enum (`tag = "…"`) is deserialized
/// through serde's buffered `Content`, which compiles a second deserializer for every
/// variant's fields. Measured 2026-12-05 (worker-build, release): the four wire enums
/// internally tagged made the worker's wasm 1,487,630 bytes (514,620 gzipped), externally
/// tagged 1,337,091 (477,217).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShardOp {
    /// Store a new OTP (PENDING; its SMS is being sent), if the number's limits allow an
    /// SMS now; a pending OTP of the same tenant and number is superseded (CANCELLED).
    Create {
        record: Box<OtpRecord>,
        request: Box<OtpRequest>,
        /// The tenant's per-number limits.
        limits: Box<NumberLimits>,
        /// The tenant's limits across numbers (the prefix rule is applied here).
        abuse: AbuseLimits,
        /// A test number's OTP: no SMS, so none is recorded (the prefix rule counts the
        /// number's SMS).
        #[serde(default)]
        test: bool,
        /// Made from the browser API: it never supersedes a pending OTP made by the
        /// server API, nor one made for another visitor (another client secret).
        #[serde(default)]
        from_browser: bool,
        /// The browser's `X-Client-Secret`, naming the visitor's own pending OTP.
        #[serde(default)]
        client_secret: Option<String>,
        /// The browser client (its IP subject): a client locked for the number sends nothing.
        #[serde(default)]
        client: Option<String>,
        /// How its messages go (the record holds the first attempt); none for a test
        /// number.
        #[serde(default)]
        route: Option<Box<Route>>,
        /// A Twilio Verify start: when the number's pending OTP is of this service, it is
        /// resent instead (same OTP, a new PIN: `Resent`), in this same call.
        #[serde(default)]
        resend_pending: Option<Box<ResendPending>>,
        /// The adaptive guard's range rule (`shard/guard.rs`): the tenant's limiter's
        /// verdict on the SMS's country, and the tenant's settings. `None`: not asked (no
        /// guard, `off`, an allow-listed or test number, a trip the limiter decided on).
        #[serde(default)]
        guard: Option<Box<RangeAsk>>,
    },
    /// A new PIN and SMS for a pending OTP, if the limits allow.
    Resend {
        otp_id: String,
        tenant: String,
        limits: Box<NumberLimits>,
        /// The tenant's delivery policy: the new message's plan is made in the shard,
        /// which knows the number's country.
        delivery: Box<DeliveryPolicy>,
        /// The channel asked for (`None`: the OTP's own).
        #[serde(default)]
        channel: Option<Channel>,
        /// The tenant's test numbers and their fixed PINs: a test number's resend keeps
        /// its PIN and sends nothing.
        #[serde(default)]
        test_pins: std::collections::BTreeMap<String, String>,
        /// The browser client asking (its IP subject), if from the browser API.
        #[serde(default)]
        client: Option<String>,
    },
    /// Check a PIN.
    Check {
        otp_id: String,
        tenant: String,
        pin: String,
        limits: Box<NumberLimits>,
        /// The browser client checking (its IP subject): its wrong PINs lock it for the
        /// number before they can lock the number for everyone. `None`: the server API.
        #[serde(default)]
        client: Option<String>,
        /// The Twilio Verify service asked through: an OTP of another is not found, and
        /// the reply is `Checked` (the record with the refusal, if any).
        #[serde(default)]
        service: Option<String>,
        /// The Twilio Verify API's check by `To`: the number's latest OTP (`otp_id` empty).
        #[serde(default)]
        number: Option<NumberRef>,
        /// PSD2: the payment the OTP must have been sent for (each `Some` compared), else
        /// no check is made (2104 / 2105).
        #[serde(default)]
        payment: Option<Payment>,
    },
    /// Queue a signed callback that is no OTP's (a `guard.triggered` event of the tenant's
    /// limiter, to its `guard.eventsUrl`): delivered, retried and capped as the status
    /// callbacks are (`shard/outbox.rs`).
    QueueCallback {
        tenant: String,
        webhook_id: String,
        url: String,
        body: String,
    },
    /// Clear a number's locks (`DELETE /v1/numbers/{e164}/lock`): the temporary lock,
    /// its clients' locks and the count of wrong PINs in a row.
    Unlock {
        tenant: String,
        phone: String,
        /// The number's keys (`smsotp_edge::placement::number_keys`).
        pk: u32,
        nk: u32,
    },
    /// Cancel.
    Cancel {
        otp_id: String,
        tenant: String,
        /// As `Check`'s.
        #[serde(default)]
        service: Option<String>,
    },
    /// Verified without a PIN (the Twilio Verify API's `Status=approved`).
    Approve {
        otp_id: String,
        tenant: String,
        /// As `Check`'s.
        #[serde(default)]
        service: Option<String>,
    },
    /// The message could not be sent by any step of its plan: the OTP is FAILED, its
    /// latest attempt `failed` with `error`.
    FailDelivery { otp_id: String, error: String },
    /// The message `reference` was taken by the plan's step `step` (not the one recorded:
    /// the ones before failed within the request).
    Sent {
        otp_id: String,
        reference: String,
        step: usize,
    },
    /// A provider's delivery report (its signature checked by the worker).
    Report {
        otp_id: String,
        provider: String,
        /// Our id of the message (`None`: the provider's reports cannot carry it).
        reference: Option<String>,
        message_id: String,
        status: DeliveryStatus,
        error_code: Option<String>,
        error_text: Option<String>,
    },
    /// Read (expiring it first if its TTL passed).
    Get {
        otp_id: String,
        tenant: String,
        /// As `Check`'s.
        #[serde(default)]
        service: Option<String>,
    },
    /// The number's latest OTP (the Twilio Verify API finds a verification by its `To`),
    /// as a read: its status as of now, nothing written.
    Latest { tenant: String, number: NumberRef },
}

/// What a Twilio Verify start needs to resend the service's pending OTP instead of
/// creating one (see `ShardOp::Resend`'s fields).
#[derive(Serialize, Deserialize, Clone)]
pub struct ResendPending {
    /// The service (`VA…`) whose pending OTP is resent.
    pub service: String,
    pub limits: Box<NumberLimits>,
    pub delivery: Box<DeliveryPolicy>,
    pub channel: Option<Channel>,
    #[serde(default)]
    pub test_pins: std::collections::BTreeMap<String, String>,
}

/// What the range rule needs of a new SMS (`ShardOp::Create`'s `guard`).
#[derive(Serialize, Deserialize, Clone)]
pub struct RangeAsk {
    /// The tenant's mode now (as the limiter worked it out: a tenant's first week records).
    pub mode: GuardMode,
    /// The country's verdict: calm, or suspect (its ranges that pump trip).
    pub country: CountryVerdict,
    /// The tenant's guard settings (the range's floor, ratio, window, cool-down and
    /// allow-lists).
    pub policy: GuardPolicy,
}

/// A number's row: the number and its keys (`smsotp_edge::placement::number_keys`).
#[derive(Serialize, Deserialize, Clone)]
pub struct NumberRef {
    pub phone: String,
    pub pk: u32,
    pub nk: u32,
}

/// A payment a check confirms (PSD2 dynamic linking): what the caller says it is.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct Payment {
    pub amount: Option<String>,
    pub payee: Option<String>,
}

impl ShardOp {
    /// The OTP the operation is about (none for `Create`'s lookup, which goes by the
    /// number, and `Unlock`).
    pub fn otp_id(&self) -> &str {
        match self {
            ShardOp::Create { record, .. } => &record.otp_id,
            ShardOp::Resend { otp_id, .. }
            | ShardOp::Check { otp_id, .. }
            | ShardOp::Cancel { otp_id, .. }
            | ShardOp::Approve { otp_id, .. }
            | ShardOp::FailDelivery { otp_id, .. }
            | ShardOp::Sent { otp_id, .. }
            | ShardOp::Report { otp_id, .. }
            | ShardOp::Get { otp_id, .. } => otp_id,
            ShardOp::Unlock { .. } | ShardOp::Latest { .. } | ShardOp::QueueCallback { .. } => "",
        }
    }

    /// The Twilio Verify service the operation is asked through: another service's OTP
    /// (or one made by the SMS.cx API) does not exist for it.
    pub fn service(&self) -> Option<&str> {
        match self {
            ShardOp::Check { service, .. }
            | ShardOp::Cancel { service, .. }
            | ShardOp::Approve { service, .. }
            | ShardOp::Get { service, .. } => service.as_deref(),
            _ => None,
        }
    }

    /// The tenant the operation is made for: another tenant's OTP does not exist for it.
    pub fn tenant(&self) -> Option<&str> {
        match self {
            ShardOp::Check { tenant, .. }
            | ShardOp::Resend { tenant, .. }
            | ShardOp::Cancel { tenant, .. }
            | ShardOp::Approve { tenant, .. }
            | ShardOp::Get { tenant, .. }
            | ShardOp::Unlock { tenant, .. }
            | ShardOp::QueueCallback { tenant, .. }
            | ShardOp::Latest { tenant, .. } => Some(tenant),
            ShardOp::Create { .. }
            | ShardOp::FailDelivery { .. }
            | ShardOp::Sent { .. }
            | ShardOp::Report { .. } => None,
        }
    }
}

/// The shard's answer to an operation.
///
/// Externally tagged: see [`ShardOp`](crate::shard::ShardOp).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShardReply {
    /// No such OTP for this tenant (or another tenant's: it does not exist for this one).
    NotFound,
    /// The operation was refused (a limit, a lock, the prefix rule), or the core's
    /// transition answered an error (a wrong PIN, an OTP no longer pending): the error for
    /// the client. What the refused operation changed (an attempt spent, an expiry) is
    /// stored all the same.
    Refused(WireError),
    /// `Check` (verified), `Get`, `Cancel`, `FailDelivery`: the record after the operation.
    Record(OtpRecord),
    /// `Create`: stored.
    Created {
        /// Seconds until another SMS for this OTP may be asked for.
        resend_after: u32,
    },
    /// `Resend`: the new PIN is the OTP's.
    Resent {
        record: OtpRecord,
        /// The SMS with the new PIN in clear, for the provider only (none for a test
        /// number, whose fixed PIN stays).
        sms: Option<Box<OutgoingSms>>,
        /// Seconds until another SMS for this OTP may be asked for.
        resend_after: u32,
    },
    /// `Unlock`: the number's locks and counts are cleared (or it had none).
    Unlocked,
    /// `Check` through a Twilio Verify service: the record after the check, and the
    /// check's refusal if any (a wrong code is no HTTP error there: the answer shows the
    /// verification).
    Checked {
        record: OtpRecord,
        error: Option<WireError>,
    },
    /// `Report`, `Sent`: applied (`known`: the OTP holds that message from that provider;
    /// else nothing changed).
    Reported { known: bool },
    /// `QueueCallback`: queued.
    Queued,
}

impl ShardReply {
    /// A reply the caller does not go on with, as the client's error: no such OTP
    /// (2021), the refusal, or a worker error for a reply the operation never gives.
    pub fn into_error(self) -> AppError {
        match self {
            ShardReply::NotFound => AppError::api(ErrorCode::OtpNotFound),
            ShardReply::Refused(e) => AppError::Api(e.into_api()),
            other => AppError::Internal(format!("a shard's unexpected reply: {}", other.name())),
        }
    }

    /// The reply's name (for a log line: nothing of its content).
    fn name(&self) -> &'static str {
        match self {
            ShardReply::NotFound => "not_found",
            ShardReply::Refused(_) => "refused",
            ShardReply::Record(_) => "record",
            ShardReply::Created { .. } => "created",
            ShardReply::Resent { .. } => "resent",
            ShardReply::Unlocked => "unlocked",
            ShardReply::Checked { .. } => "checked",
            ShardReply::Reported { .. } => "reported",
            ShardReply::Queued => "queued",
        }
    }
}

/// A message for the worker to hand to a provider: its plan and the step the record
/// names, tried first.
#[derive(Serialize, Deserialize, Clone)]
pub struct OutgoingSms {
    pub to: String,
    pub from: String,
    /// The SMS text, PIN included.
    pub text: String,
    pub parts: u32,
    pub unicode: bool,
    /// The PIN alone (WhatsApp's template, a call).
    pub code: String,
    /// The ISO 639-1 language of the template chosen.
    pub language: String,
    /// The language the request asked for (its `language`), if any.
    #[serde(default)]
    pub asked_language: Option<String>,
    /// Our id of the message (`{otpId}.{n}`).
    pub reference: String,
    /// The steps to try, in order.
    pub plan: Vec<Step>,
    /// The step tried first (the one the record names).
    pub step: usize,
}

impl OutgoingSms {
    /// The message carrying `pin` for an OTP made from `request` (`message`: rendered
    /// with that PIN), our `reference` of it, tried from `step` of `plan`.
    pub fn new(
        request: &OtpRequest,
        message: smsotp_core::RenderedMessage,
        pin: String,
        reference: String,
        (plan, step): (Vec<Step>, usize),
    ) -> Self {
        OutgoingSms {
            to: request.phone_number.clone(),
            from: request.from.clone(),
            parts: message.sms.parts,
            unicode: message.sms.encoding == smsotp_core::Encoding::Ucs2,
            text: message.text,
            code: pin,
            language: message.language,
            asked_language: request.language.clone(),
            reference,
            plan,
            step,
        }
    }
}

impl Message for ShardOp {
    type Reply = ShardReply;
    const URL: &'static str = "https://shard/op";

    fn count(usage: &Usage, rows: RowUsage) {
        usage.durable_object_call(rows);
    }
}

/// Queues a callback that is no OTP's (`ShardOp::QueueCallback`) in the shard its webhook
/// id names (a guard event's id is the same on every try, so a retried queueing finds its
/// row: `INSERT OR IGNORE`).
pub async fn queue_callback(
    env: &Env,
    (tenant, webhook_id): (&str, &str),
    (url, body): (&str, &str),
    usage: &Usage,
) -> Result<()> {
    let shard = webhook_id
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % u32::from(smsotp_edge::placement::SHARDS);
    let op = ShardOp::QueueCallback {
        tenant: tenant.to_owned(),
        webhook_id: webhook_id.to_owned(),
        url: url.to_owned(),
        body: body.to_owned(),
    };
    call(env, shard as u8, &op, usage).await.map(|_| ())
}

/// Sends an operation to shard `shard`, counting the call in `usage`.
pub async fn call(env: &Env, shard: u8, op: &ShardOp, usage: &Usage) -> Result<ShardReply> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(&format!("shard-{shard}"))?
        .get_stub()?;
    durable::call(&stub, op, usage).await
}
