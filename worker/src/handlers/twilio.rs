//! The Twilio Verify v2 API (HTTP Basic with a tenant's Twilio credentials; docs/twilio.md):
//! Services, Verifications and VerificationCheck, in Twilio's paths, forms and JSON, so a
//! Twilio client moves by changing its host. Only the wire differs: a verification is an
//! OTP, started, resent, checked and cancelled through the same shared operations as the
//! SMS.cx API (`service/otp.rs`), with every limit of smsotp.
//!
//! How a request goes:
//! 1. The service of the path (`{ServiceSid}`) is read in the same limiter call that
//!    spends the request's minute (`limiter/services.rs`): no extra round trip.
//! 2. The form is read into a typed request (`smsotp_edge::twilio::form`; errors 60200).
//! 3. A start is one call to the number's shard: a pending OTP of this service asking for
//!    the same message is resent (same `VE…`, a new code), else a new OTP is created. A
//!    check is one call too: the shard finds the OTP (by `VE…`, or the latest of `To`) and
//!    checks the code where every PIN is checked (`service::otp::check_pin_shown`),
//!    answering the record with the outcome (a wrong code answers 200 with its fields).
//! 4. Errors of ours become Twilio's in the pipeline's answer (`pipeline/answer.rs`).
//!
//! A verification that ended (approved, canceled, expired, out of checks) is a 20404 to
//! fetch, check or update, as Twilio answers once it has soft-deleted it; a check of one
//! that ran out of checks stays 60202 until it expires.

use serde_json::Value;
use smsotp_core::otp::FailureReason;
use smsotp_core::{Channel, ErrorCode, OtpRecord, OtpStatus};
use smsotp_edge::limits::end_user_ip;
use smsotp_edge::placement;
use smsotp_edge::twilio::form::{
    CheckTarget, Form, ServiceCreate, ServiceUpdate, VerificationCheckCreate, VerificationCreate,
    VerificationUpdate,
};
use smsotp_edge::twilio::page::PageAsk;
use smsotp_edge::twilio::resource;
use smsotp_edge::twilio::service::{Service, ServiceChange};
use smsotp_edge::twilio::sid::{self, SidKind};
use smsotp_edge::twilio::{verification, TwilioError};

use crate::error::{AppError, AppResult};
use crate::limiter::services::{ServiceOp, ServiceResult};
use crate::limiter::{self, Budget};
use crate::limiter::{GuardVerdict, SendAsk};
use crate::pipeline::answer::Answer;
use crate::pipeline::budget;
use crate::pipeline::context::{Ctx, TwilioCaller};
use crate::service::otp::{self as service, checked_id, Checker};
use crate::shard::{self, ShardOp, ShardReply};
use crate::shard::{NumberRef, Payment, ResendPending};

/// The request's origin: every `url` of an answer is absolute under it.
fn base(cx: &Ctx) -> AppResult<String> {
    Ok(cx.req.url()?.origin().ascii_serialization())
}

/// 20404 for this request's resource (the path as Twilio quotes it, without `/v2`).
fn not_found(cx: &Ctx) -> AppError {
    let path = cx.req.path();
    let path = path.strip_prefix("/v2").unwrap_or(&path);
    AppError::Twilio(TwilioError::not_found(path.trim_end_matches('/')))
}

/// The request's minute and an operation on the tenant's services, in one limiter call.
async fn services(cx: &mut Ctx, caller: &TwilioCaller, op: ServiceOp) -> AppResult<ServiceResult> {
    Ok(services_sending(cx, caller, op, None).await?.0)
}

/// [`services`], and for a start the SMS it will send (`send`), counted in the same call
/// when the service is found (with the guard's verdict for its range).
async fn services_sending(
    cx: &mut Ctx,
    caller: &TwilioCaller,
    op: ServiceOp,
    send: Option<SendAsk>,
) -> AppResult<(ServiceResult, Option<GuardVerdict>)> {
    let limit = budget::minute_limit(&cx.settings, Budget::Server);
    let tenant = caller.tenant.id.clone();
    let ask = (limit, op, send);
    limiter::service(&cx.env, &tenant, ask, &cx.usage, &mut cx.window).await
}

/// A request refused before its limiter call still spends its minute.
async fn refused(cx: &mut Ctx, caller: &TwilioCaller, e: AppError) -> AppError {
    budget::refused(cx, &caller.tenant, Budget::Server, e).await
}

/// The tenant's import of service `sid` (from its KV record), if any.
fn imported(caller: &TwilioCaller, sid: &str) -> Option<Service> {
    caller.tenant.twilio.as_ref()?.imported(sid).cloned()
}

/// The form body of a POST (at most 64 KiB, like every server API body).
async fn read_form(cx: &mut Ctx) -> AppResult<Form> {
    let text = cx.body().await?;
    Ok(Form::parse(text.as_bytes())?)
}

/// The path's service (`{ServiceSid}`), with the request's minute: 20404 when the tenant
/// has none by that SID (another tenant's is none of its).
async fn path_service(cx: &mut Ctx, caller: &TwilioCaller) -> AppResult<Service> {
    Ok(path_service_sending(cx, caller, None).await?.0)
}

/// [`path_service`], counting a start's SMS (`send`) in the same call: the service, and
/// the guard's verdict for the SMS's range (for the number's shard).
async fn path_service_sending(
    cx: &mut Ctx,
    caller: &TwilioCaller,
    send: Option<SendAsk>,
) -> AppResult<(Service, Option<GuardVerdict>)> {
    let sid = cx.params.first().cloned().unwrap_or_default();
    if sid::parse(SidKind::Service, &sid).is_none() {
        let e = not_found(cx);
        return Err(refused(cx, caller, e).await);
    }
    let op = ServiceOp::Get {
        imported: imported(caller, &sid),
        sid,
    };
    match services_sending(cx, caller, op, send).await? {
        (ServiceResult::Found(s), guard) => Ok((s, guard)),
        _ => Err(not_found(cx)),
    }
}

/// A fresh SID of `kind` from `crypto.getRandomValues`.
fn new_sid(kind: SidKind) -> AppResult<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Internal(format!("crypto.getRandomValues: {e}")))?;
    Ok(sid::new(kind, bytes))
}

fn service_body(cx: &Ctx, caller: &TwilioCaller, s: &Service) -> AppResult<Value> {
    Ok(resource::service_json(
        &s.view(&caller.account_sid),
        &base(cx)?,
    ))
}

/// `POST /v2/Services`: 201 with the new service.
pub async fn create_service(cx: &mut Ctx, caller: &TwilioCaller) -> AppResult<Answer> {
    let now = crate::clock::now();
    let made = async {
        let create = ServiceCreate::from_form(&read_form(cx).await?)?;
        Ok::<_, AppError>(Service::create(new_sid(SidKind::Service)?, &create, now)?)
    }
    .await;
    let service = match made {
        Ok(s) => s,
        Err(e) => return Err(refused(cx, caller, e).await),
    };
    match services(cx, caller, ServiceOp::Create { service }).await? {
        ServiceResult::Found(s) => Ok(Answer::json(201, service_body(cx, caller, &s)?)),
        _ => Err(TwilioError::too_many_services().into()),
    }
}

/// `GET /v2/Services`: a page of the tenant's services, oldest first.
pub async fn list_services(cx: &mut Ctx, caller: &TwilioCaller) -> AppResult<Answer> {
    let query = cx.req.url()?.query().unwrap_or_default().to_owned();
    let ask = match PageAsk::from_query(&query) {
        Ok(a) => a,
        Err(e) => return Err(refused(cx, caller, e.into()).await),
    };
    let imported = caller
        .tenant
        .twilio
        .as_ref()
        .map(|a| a.services.clone())
        .unwrap_or_default();
    let ServiceResult::List(all) = services(cx, caller, ServiceOp::List { imported }).await? else {
        return Err(AppError::Internal("a service list answered no list".into()));
    };
    let (page, next) = ask.slice(&all, |s| (s.created_at, s.sid.as_str()));
    let path = format!("{}/v2/Services", base(cx)?);
    let base = base(cx)?;
    let items = page
        .iter()
        .map(|s| resource::service_json(&s.view(&caller.account_sid), &base))
        .collect();
    let next = next.map(|t| ask.next_url(&path, &t));
    let body = resource::page_json(
        "services",
        items,
        ask.page,
        ask.size,
        &ask.url(&path),
        next.as_deref(),
    );
    Ok(Answer::json(200, body))
}

/// `GET /v2/Services/{ServiceSid}`.
pub async fn fetch_service(cx: &mut Ctx, caller: &TwilioCaller) -> AppResult<Answer> {
    let s = path_service(cx, caller).await?;
    Ok(Answer::json(200, service_body(cx, caller, &s)?))
}

/// `POST /v2/Services/{ServiceSid}`: what the form sends changes, the rest stays.
pub async fn update_service(cx: &mut Ctx, caller: &TwilioCaller) -> AppResult<Answer> {
    let sid = cx.params.first().cloned().unwrap_or_default();
    let change = async {
        let form = read_form(cx).await?;
        Ok::<_, AppError>(ServiceChange::from_update(&ServiceUpdate::from_form(
            &form,
        )?)?)
    }
    .await;
    let change = match change {
        Ok(c) if sid::parse(SidKind::Service, &sid).is_some() => c,
        Ok(_) => {
            let e = not_found(cx);
            return Err(refused(cx, caller, e).await);
        }
        Err(e) => return Err(refused(cx, caller, e).await),
    };
    let op = ServiceOp::Update {
        imported: imported(caller, &sid),
        sid,
        change,
        now: crate::clock::now(),
    };
    match services(cx, caller, op).await? {
        ServiceResult::Found(s) => Ok(Answer::json(200, service_body(cx, caller, &s)?)),
        _ => Err(not_found(cx)),
    }
}

/// `DELETE /v2/Services/{ServiceSid}`: 204. Its verifications still pending can no longer
/// be reached through the API (their service is gone) and expire as they would.
pub async fn delete_service(cx: &mut Ctx, caller: &TwilioCaller) -> AppResult<Answer> {
    let sid = cx.params.first().cloned().unwrap_or_default();
    if sid::parse(SidKind::Service, &sid).is_none() {
        let e = not_found(cx);
        return Err(refused(cx, caller, e).await);
    }
    let op = ServiceOp::Delete {
        imported: imported(caller, &sid),
        sid,
    };
    match services(cx, caller, op).await? {
        ServiceResult::Deleted => Ok(Answer::json(204, Value::Null)),
        _ => Err(not_found(cx)),
    }
}

/// How a verification is shown: as a Verification (`base`: its `url`'s origin) or as
/// a VerificationCheck (`None`). Its channel is that of its latest message; for a test
/// number, which is sent none, the channel asked (a start) or `sms`.
fn verification_body(
    record: &OtpRecord,
    (status, asked): (&str, Option<Channel>),
    service: &Service,
    caller: &TwilioCaller,
    base: Option<&str>,
) -> Value {
    let sid = verification::verification_sid(&record.otp_id);
    let sends = verification::attempts_of(record);
    let context = verification::Context {
        service_sid: &service.sid,
        account_sid: &caller.account_sid,
        channel: asked.unwrap_or(Channel::Sms),
    };
    let view = verification::view_of(record, &sid, status, &context, &sends);
    match base {
        None => resource::verification_check_json(&view),
        Some(base) => {
            let mut body = resource::verification_json(&view, base);
            if service.lookup_enabled {
                body["lookup"] = verification::lookup_json(&record.phone_number);
            }
            body
        }
    }
}

/// A number's row in its shard (`smsotp_edge::placement`), and the shard.
fn number_row(cx: &Ctx, caller: &TwilioCaller, phone: &str) -> (NumberRef, u8) {
    let (hasher, tenant) = (&cx.settings.pin_hasher, &caller.tenant.id);
    let (pk, nk) = placement::number_keys(hasher, tenant, phone);
    let number = NumberRef {
        phone: phone.to_owned(),
        pk,
        nk,
    };
    (number, placement::of_number(hasher, tenant, phone))
}

/// The number's latest OTP (`None`: it has none).
async fn latest(cx: &Ctx, caller: &TwilioCaller, phone: &str) -> AppResult<Option<OtpRecord>> {
    let (number, shard) = number_row(cx, caller, phone);
    let op = ShardOp::Latest {
        tenant: caller.tenant.id.clone(),
        number,
    };
    match shard::call(&cx.env, shard, &op, &cx.usage).await? {
        ShardReply::Record(r) => Ok(Some(r)),
        ShardReply::NotFound => Ok(None),
        other => Err(other.into_error()),
    }
}

/// A `To` as the core stores numbers: `+330612345678` (a trunk 0 kept, which strict E.164
/// allows) is `+33612345678`. `None`: not a phone number.
fn canonical(to: &str) -> Option<String> {
    smsotp_core::phone::parse(to, None).ok().map(|p| p.e164)
}

/// A `{Sid}` path segment or `To` as written: `%2B` is `+` (node sends `+` as it is,
/// another client may escape it).
fn unescape(segment: &str) -> String {
    match segment.get(..3) {
        Some(p) if p.eq_ignore_ascii_case("%2b") => format!("+{}", &segment[3..]),
        _ => segment.to_owned(),
    }
}

/// The latest OTP of the number `target` (a `To`), if it is one of `service`: 20404
/// otherwise (another service's or tenant's is none).
async fn latest_of_service(
    cx: &Ctx,
    caller: &TwilioCaller,
    service: &Service,
    target: &str,
) -> AppResult<OtpRecord> {
    let phone = smsotp_edge::twilio::form::is_e164(target)
        .then(|| canonical(target))
        .flatten()
        .ok_or_else(|| not_found(cx))?;
    match latest(cx, caller, &phone).await? {
        Some(r) if r.service.as_deref() == Some(service.sid.as_str()) => Ok(r),
        _ => Err(not_found(cx)),
    }
}

/// The verification a `VE…` or a `To` names, in `service`, as it is now: 20404 when
/// there is none (another service's or tenant's is none).
async fn find_verification(
    cx: &Ctx,
    caller: &TwilioCaller,
    service: &Service,
    target: &str,
) -> AppResult<OtpRecord> {
    let Some(otp_id) = verification::otp_id_of(target) else {
        return latest_of_service(cx, caller, service, target).await;
    };
    let (otp_id, shard) = checked_id(&otp_id).map_err(|_| not_found(cx))?;
    let op = ShardOp::Get {
        otp_id: otp_id.to_owned(),
        tenant: caller.tenant.id.clone(),
        service: Some(service.sid.clone()),
    };
    match shard::call(&cx.env, shard, &op, &cx.usage).await? {
        ShardReply::Record(r) => Ok(r),
        _ => Err(not_found(cx)),
    }
}

/// A verification that ended answers as Twilio's do once soft-deleted: 20404; one that
/// ran out of checks stays 60202 to a check, so the caller learns why.
fn ended(cx: &Ctx, record: &OtpRecord, now: u64, checking: bool) -> AppResult<()> {
    match record.status_at(now) {
        OtpStatus::Pending => Ok(()),
        OtpStatus::Failed
            if checking && record.failure_reason == Some(FailureReason::TooManyAttempts) =>
        {
            Err(TwilioError::max_check_attempts().into())
        }
        _ => Err(not_found(cx)),
    }
}

/// `POST /v2/Services/{ServiceSid}/Verifications`: 201 with the verification. A pending
/// verification of this service for `To` is sent again (same `sid`, a NEW code: the old
/// one stops working; docs/twilio.md "What differs"); otherwise a new one is started.
///
/// Two Durable Object calls, as many as the SMS.cx API's create: the tenant's limiter
/// (the minute, the service, the SMS against the day's cap and the IP's hour) and the
/// number's shard (create, or resend the service's pending OTP). Everything that needs no
/// state is checked before (the form, the country and number type): a refusal there
/// spends only the minute.
pub async fn start_verification(cx: &mut Ctx, caller: &TwilioCaller) -> AppResult<Answer> {
    let tenant = &caller.tenant;
    let checked = async {
        let mut asked = VerificationCreate::from_form(&read_form(cx).await?)?;
        // One spelling of the number from here on: the limits, the test numbers and the
        // shard all see the one the core stores.
        asked.to = canonical(&asked.to).ok_or_else(|| TwilioError::invalid_parameter("To"))?;
        let country = smsotp_core::phone::parse(&asked.to, None).map(|p| p.country_iso);
        cx.destination = Some((country.unwrap_or_default().to_owned(), asked.channel));
        let destination = smsotp_edge::Destination::for_create(&tenant.policy, &asked.to)?;
        let ip = asked
            .device_ip
            .map(|ip| end_user_ip(&ip.to_string()))
            .transpose()?;
        let send = destination
            .counted_limits(&tenant.policy)
            .map(|limits| SendAsk {
                limits,
                ip: ip.clone(),
                browser: false,
                country: cx
                    .destination
                    .as_ref()
                    .map(|d| d.0.clone())
                    .unwrap_or_default(),
                channel: Some(asked.channel),
                guard: Some(crate::limiter::GuardAsk {
                    tenant: tenant.id.clone(),
                    policy: tenant.policy.guard.clone(),
                    created_at: tenant.created_at,
                    e164: asked.to.clone(),
                }),
            });
        Ok::<_, AppError>((asked, ip, send))
    }
    .await;
    let (asked, ip, send) = match checked {
        Ok(c) => c,
        Err(e) => return Err(refused(cx, caller, e).await),
    };
    // The SMS is counted with the service (when it is found): given back if none leaves.
    let mut admitted = budget::Admitted::sms(send);
    let (service, guard) = path_service_sending(cx, caller, admitted.sms_ask()).await?;
    admitted.guard = guard;
    let prepared = async {
        let body = service.otp_request(&asked);
        let request = smsotp_core::validate_request(&body, &tenant.policy.config)
            .map_err(AppError::Invalid)?;
        let mut prepared = service::prepared(request, tenant, None, ip)?;
        prepared.service = Some(service.sid.clone());
        prepared.resend_pending = Some(ResendPending {
            service: service.sid.clone(),
            limits: Box::new(tenant.policy.number_limits.clone()),
            delivery: Box::new(tenant.policy.delivery.clone()),
            channel: Some(asked.channel),
            test_pins: tenant.policy.test_numbers.clone(),
        });
        Ok::<_, AppError>(prepared)
    }
    .await;
    let prepared = match prepared {
        Ok(p) => p,
        Err(e) => {
            budget::settle(cx, tenant, admitted, false, None).await?;
            return Err(e);
        }
    };
    let answer = service::create_admitted(cx, tenant, prepared, admitted).await?;
    let record = answer
        .record
        .ok_or_else(|| AppError::Internal("a start left no record".into()))?;
    let shown = ("pending", Some(asked.channel));
    let body = verification_body(&record, shown, &service, caller, Some(&base(cx)?));
    Ok(Answer::json(201, body).about(&record.otp_id))
}

/// `GET /v2/Services/{ServiceSid}/Verifications/{Sid}` (a `VE…`, or the `To` of the
/// service's latest verification).
pub async fn fetch_verification(cx: &mut Ctx, caller: &TwilioCaller) -> AppResult<Answer> {
    let service = path_service(cx, caller).await?;
    let target = unescape(&cx.param);
    let record = find_verification(cx, caller, &service, &target).await?;
    ended(cx, &record, crate::clock::now(), false)?;
    let shown = ("pending", None);
    let body = verification_body(&record, shown, &service, caller, Some(&base(cx)?));
    Ok(Answer::json(200, body).about(&record.otp_id))
}

/// `POST /v2/Services/{ServiceSid}/Verifications/{Sid}` with `Status=canceled` or
/// `Status=approved` (the caller checked the user another way).
pub async fn update_verification(cx: &mut Ctx, caller: &TwilioCaller) -> AppResult<Answer> {
    let service = path_service(cx, caller).await?;
    let update = VerificationUpdate::from_form(&read_form(cx).await?)?;
    // A `VE…` names its OTP; a `To` takes one read of the number's row. The operation is
    // refused, as a 20404, for a verification of another service or one that ended.
    let target = unescape(&cx.param);
    let otp_id = match verification::otp_id_of(&target) {
        Some(id) => id,
        None => {
            latest_of_service(cx, caller, &service, &target)
                .await?
                .otp_id
        }
    };
    let (otp_id, shard) = checked_id(&otp_id).map_err(|_| not_found(cx))?;
    let (otp_id, tenant, service_sid) = (
        otp_id.to_owned(),
        caller.tenant.id.clone(),
        Some(service.sid.clone()),
    );
    let (op, status) = match update {
        VerificationUpdate::Canceled => (
            ShardOp::Cancel {
                otp_id,
                tenant,
                service: service_sid,
            },
            "canceled",
        ),
        VerificationUpdate::Approved => (
            ShardOp::Approve {
                otp_id,
                tenant,
                service: service_sid,
            },
            "approved",
        ),
    };
    let record = match shard::call(&cx.env, shard, &op, &cx.usage).await? {
        ShardReply::Record(r) => r,
        // It ended in between (the refusal says how): gone, as Twilio answers.
        _ => return Err(not_found(cx)),
    };
    let body = verification_body(&record, (status, None), &service, caller, Some(&base(cx)?));
    Ok(Answer::json(200, body).about(&record.otp_id))
}

/// `POST /v2/Services/{ServiceSid}/VerificationCheck`: 200 `approved` for the right code;
/// a wrong one is no HTTP error (Twilio's behaviour): 200 `pending`, or
/// `max_attempts_reached` when it used the last check. One shard call, by `VE…` or by
/// the number of `To` (the shard finds its latest OTP), answering the record with the
/// check's outcome.
pub async fn check_verification(cx: &mut Ctx, caller: &TwilioCaller) -> AppResult<Answer> {
    let service = path_service(cx, caller).await?;
    let asked = VerificationCheckCreate::from_form(&read_form(cx).await?)?;
    let tenant = &caller.tenant;
    // A PSD2 service's codes confirm payments: a check must say which (fail closed).
    if service.psd2_enabled {
        for (name, value) in [("Amount", &asked.amount), ("Payee", &asked.payee)] {
            if value.is_none() {
                return Err(TwilioError::invalid_parameter(name).into());
            }
        }
    }
    // PSD2: a code confirms the payment it was sent for, never another.
    let payment = (asked.amount.is_some() || asked.payee.is_some()).then(|| Payment {
        amount: asked.amount.clone(),
        payee: asked.payee.clone(),
    });
    let mut checker = Checker {
        client: None,
        service: Some(service.sid.clone()),
        number: None,
        payment,
    };
    let (otp_id, shard) = match &asked.target {
        CheckTarget::Sid(s) => {
            let id = verification::otp_id_of(&s.to_string()).ok_or_else(|| not_found(cx))?;
            let (id, shard) = checked_id(&id).map_err(|_| not_found(cx))?;
            (id.to_owned(), shard)
        }
        CheckTarget::To(to) => {
            let to = canonical(to).ok_or_else(|| TwilioError::invalid_parameter("To"))?;
            let (number, shard) = number_row(cx, caller, &to);
            checker.number = Some(number);
            (String::new(), shard)
        }
    };
    let (record, refused) =
        service::check_pin_shown(cx, tenant, (&otp_id, shard), asked.code, checker).await?;
    let show = |status: &str| {
        let body = verification_body(&record, (status, None), &service, caller, None);
        Answer::json(200, body).about(&record.otp_id)
    };
    let Some(e) = refused else {
        return Ok(show("approved"));
    };
    match e.code {
        ErrorCode::InvalidPin => Ok(show("pending")),
        ErrorCode::FailedLastAttempt => Ok(show("max_attempts_reached")),
        ErrorCode::AmountInvalid => Err(TwilioError::invalid_parameter("Amount").into()),
        ErrorCode::PayeeInvalid => Err(TwilioError::invalid_parameter("Payee").into()),
        // Ended: 20404 as a fetch answers, or 60202 for one out of checks; a refusal of a
        // pending one (a locked number) as it maps.
        _ => {
            ended(cx, &record, crate::clock::now(), true)?;
            Err(AppError::Api(e))
        }
    }
}
