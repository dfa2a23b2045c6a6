// Scratch (not a test): the flow once in headless Firefox ESR through geckodriver.
import { Builder, By, until } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import { homedir } from 'node:os';

const base = 'http://127.0.0.1:8600/';
const options = new firefox.Options().addArguments('-headless').setBinary('/usr/bin/firefox-esr');
const service = new firefox.ServiceBuilder(`${homedir()}/.cargo/bin/geckodriver`);
const driver = await new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
try {
  await driver.get(`${base}?lang=sv`);
  const ready = () => driver.executeScript("return document.querySelector('smsotp-verify')?.shadowRoot?.querySelector('[data-a=send]')?.disabled === false");
  await driver.wait(ready, 10000);
  const tel = await driver.findElement(By.css('input[type=tel]'));
  await tel.sendKeys(`+33612${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`);
  console.log('tel', await tel.getAttribute('value'), 'country', await driver.findElement(By.css('[role=combobox]')).getAttribute('value'));
  await driver.executeScript("document.querySelector('smsotp-verify').shadowRoot.querySelector('[data-a=send]').click()");
  await driver.wait(() => driver.executeScript("return document.querySelector('smsotp-verify').state === 'code'"), 10000);
  const otpId = await driver.executeScript("return document.querySelector('smsotp-verify').otpId");
  const pins = await (await fetch(`${base}pins`)).text();
  const pin = pins.split('\n').filter((l) => l.includes(otpId)).pop().match(/"text":"[^"]*?(\d{4,10})[^"\d]*"/)[1];
  const code = await driver.findElement(By.css('input[autocomplete=one-time-code]'));
  console.log('focused code?', await driver.executeScript('return document.activeElement === arguments[0]', code));
  await code.sendKeys(pin);
  await driver.wait(() => driver.executeScript("return document.querySelector('smsotp-verify').state === 'verified'"), 10000);
  console.log('verified; status:', await driver.findElement(By.css('[role=status]')).getText(),
    '| :state(verified)?', await driver.executeScript("return document.querySelector('smsotp-verify').matches(':state(verified)')"),
    '| form value?', await driver.executeScript("return new FormData(document.getElementById('f')).get('phoneToken')?.slice(0, 10)"));
  const png = await driver.takeScreenshot();
  (await import('node:fs')).writeFileSync('/tmp/smsotp-widget-shots/firefox-verified.png', png, 'base64');
} finally {
  await driver.quit();
}
