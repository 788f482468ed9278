//! The C ABI as sequences of calls: the bytes are a program of up to 48 `mfa_*` calls on one
//! handle, with strings that are NULL, valid, upper-cased, arbitrary or not UTF-8, integers
//! from the edges of their ranges, and out-parameters that are NULL or point to a buffer
//! filled with a marker. After every call: a failing status is documented for the call, its
//! out-parameter still holds the marker, and neither `mfa_last_error_message` nor the problem
//! details hold a secret. At the end the audit chain verifies.
#![no_main]

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::mem::{MaybeUninit, size_of};
use std::ptr::{null, null_mut};

use ffi::*;
use libfuzzer_sys::fuzz_target;
use mfa_fuzz::contract;
use mfa_fuzz::input::Input;
use mfa_fuzz::secrets::Secrets;

const MARK: u8 = 0xA5;

/// An option struct's `struct_size`: mostly `sizeof`, sometimes 0 (never set up), larger than
/// the library knows, only the size field itself (every field defaulted) or half the struct
/// (which may cut a field). The struct is always whole, so a short size never under-allocates.
fn struct_size<T>(input: &mut Input) -> u32 {
    let full = size_of::<T>() as u32;
    match input.pick(16) {
        12 => 0,
        13 => full + 8,
        14 => 4,
        15 => full / 2,
        _ => full,
    }
}

/// An out-parameter: NULL (sometimes) or a buffer filled with [`MARK`].
struct Out<T> {
    slot: Box<MaybeUninit<T>>,
    null: bool,
}

impl<T> Out<T> {
    fn new(input: &mut Input) -> Self {
        let mut slot = Box::new(MaybeUninit::<T>::uninit());
        // SAFETY: the buffer is size_of::<T>() bytes.
        unsafe { slot.as_mut_ptr().cast::<u8>().write_bytes(MARK, size_of::<T>()) };
        Out { slot, null: input.pick(16) == 0 }
    }

    fn ptr(&mut self) -> *mut T {
        if self.null { null_mut() } else { self.slot.as_mut_ptr() }
    }

    fn untouched(&self) -> bool {
        // SAFETY: the buffer is size_of::<T>() initialised bytes.
        let bytes = unsafe { std::slice::from_raw_parts(self.slot.as_ptr().cast::<u8>(), size_of::<T>()) };
        bytes.iter().all(|&b| b == MARK)
    }

    /// The value a successful call wrote.
    fn get(&self) -> Option<&T> {
        // SAFETY: only called after MFA_OK with a non-NULL pointer, so the call wrote a T.
        (!self.null).then(|| unsafe { self.slot.assume_init_ref() })
    }
}

fn text_of(chars: &[c_char]) -> String {
    let bytes: Vec<u8> = chars.iter().map(|&c| c as u8).take_while(|&b| b != 0).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A C string argument: NULL, or the bytes up to the first NUL.
struct Arg(Option<CString>);

impl Arg {
    fn new(input: &mut Input, pool: &[String]) -> Arg {
        if input.pick(16) == 0 {
            return Arg(None);
        }
        let mut bytes = match input.pick(8) {
            // Not UTF-8.
            0 => vec![b'a', 0x80, 0xff],
            _ => input.from_pool(pool),
        };
        bytes.truncate(bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len()));
        Arg(Some(CString::new(bytes).expect("no NUL left")))
    }

    fn ptr(&self) -> *const c_char {
        self.0.as_ref().map_or(null(), |c| c.as_ptr())
    }
}

struct World {
    core: *mut mfa_core,
    ids: Vec<String>,
    emails: Vec<String>,
    totp_secrets: Vec<String>,
    codes: Vec<String>,
    seen: Secrets,
    /// The current call's non-secret arguments.
    given: RefCell<Vec<String>>,
}

impl World {
    /// Checks a call's status: on failure the code is documented, the out-parameter is
    /// untouched and no message holds a secret. Returns whether it succeeded.
    fn status<T>(&self, call: &str, status: mfa_status, out: Option<&Out<T>>) -> bool {
        if status == mfa_status::MFA_OK {
            assert!(mfa_last_error_message().is_null(), "{call}: success leaves no error");
            return true;
        }
        // SAFETY: both are static NUL-terminated strings or NULL.
        let code = unsafe { CStr::from_ptr(mfa_status_str(status as i32)) }.to_str().unwrap();
        let message = mfa_last_error_message();
        assert!(!message.is_null(), "{call}: a failure sets the last error");
        let message = unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned();
        contract::check(call, code, &message);
        self.seen.check(call, &message, &self.given.borrow());
        let problem = mfa_last_error_problem_details();
        assert!(!problem.is_null());
        let text = unsafe { CStr::from_ptr(problem) }.to_string_lossy().into_owned();
        unsafe { mfa_string_free(problem) };
        self.seen.check(call, &text, &self.given.borrow());
        if let Some(out) = out {
            assert!(out.untouched(), "{call} wrote its out-parameter and failed with {code}");
        }
        false
    }

    fn id(&self, input: &mut Input) -> Arg {
        self.arg(input, &self.ids)
    }

    /// A non-secret argument (id, email, name, action, reason), which messages may quote.
    fn arg(&self, input: &mut Input, pool: &[String]) -> Arg {
        let arg = Arg::new(input, pool);
        if let Some(c) = &arg.0 {
            self.given.borrow_mut().push(c.to_string_lossy().into_owned());
        }
        arg
    }

    /// The current code of a known secret, a recovery code, or any text.
    fn code(&self, input: &mut Input) -> Arg {
        if !self.totp_secrets.is_empty() && input.bool() {
            let secret =
                CString::new(self.totp_secrets[input.pick(self.totp_secrets.len())].clone()).unwrap();
            let mut now = 0i64;
            let mut code = [0 as c_char; 7];
            unsafe {
                assert_eq!(mfa_now(self.core, &mut now), mfa_status::MFA_OK);
                let t = now + (i64::from(input.u8() % 3) - 1) * 30;
                if mfa_totp_code(secret.as_ptr(), t, code.as_mut_ptr()) == mfa_status::MFA_OK {
                    return Arg(Some(CString::new(text_of(&code)).unwrap()));
                }
            }
        }
        Arg::new(input, &self.codes)
    }

    fn role(input: &mut Input) -> RoleArg {
        RoleArg([0, 1, 2, -1, 3, i32::MAX][input.pick(6)])
    }

    fn reset_options(&self, input: &mut Input) -> (mfa_reset_options, [Arg; 3]) {
        let args = [self.arg(input, &[]), self.code(input), self.code(input)];
        let options = mfa_reset_options {
            struct_size: struct_size::<mfa_reset_options>(input),
            has_window: input.bool(),
            window: input.number(&[0, 1, ::mfa_core::MAX_WINDOW_SECONDS, u64::MAX]),
            reason: if input.bool() { args[0].ptr() } else { null() },
            dry_run: input.bool(),
            proof: if input.bool() { args[1].ptr() } else { null() },
            actor_proof: if input.bool() { args[2].ptr() } else { null() },
        };
        (options, args)
    }

    fn step(&mut self, input: &mut Input) {
        self.given.borrow_mut().clear();
        let core = self.core;
        // SAFETY (whole match): every pointer is NULL, a live handle, a NUL-terminated string
        // owned by an `Arg`, or an `Out` buffer of the right type.
        unsafe {
            match input.pick(22) {
                0 => {
                    let name = self.arg(input, &["Acme".into()]);
                    let policy = mfa_policy {
                        struct_size: struct_size::<mfa_policy>(input),
                        mfa_required: input.bool(),
                        enrollment_window: input.number(&[0, 1, ::mfa_core::MAX_WINDOW_SECONDS, u64::MAX]),
                        reset_limit_per_hour: input.number(&[0, 1, 2, 1_000_000]) as u32,
                        max_failed_verifications: input.number(&[0, 1, 3, 1000]) as u32,
                        require_step_up: input.bool(),
                    };
                    let policy_ptr: *const mfa_policy = if input.bool() { &policy } else { null() };
                    let mut out = Out::<mfa_org>::new(input);
                    if self.status(
                        "create_org",
                        mfa_create_org(core, name.ptr(), policy_ptr, out.ptr()),
                        Some(&out),
                    ) {
                        self.ids.push(text_of(&out.get().unwrap().id));
                    }
                }
                1 => {
                    let org = self.id(input);
                    let email = self.arg(input, &["a@x.test".into(), "B@x.test".into()]);
                    let mut out = Out::<mfa_user>::new(input);
                    let s = mfa_create_user(core, org.ptr(), email.ptr(), Self::role(input), out.ptr());
                    if self.status("create_user", s, Some(&out)) {
                        let user = out.get().unwrap();
                        self.ids.push(text_of(&user.id));
                        self.emails.push(text_of(&user.email));
                    }
                }
                2 => {
                    let org = self.id(input);
                    let mut out = Out::<mfa_org>::new(input);
                    self.status("get_org", mfa_get_org(core, org.ptr(), out.ptr()), Some(&out));
                }
                3 => {
                    let user = self.id(input);
                    let mut out = Out::<mfa_user>::new(input);
                    self.status("get_user", mfa_get_user(core, user.ptr(), out.ptr()), Some(&out));
                }
                4 => {
                    let (org, email) = (self.id(input), self.arg(input, &self.emails));
                    let mut out = Out::<mfa_user>::new(input);
                    let s = mfa_find_user_by_email(core, org.ptr(), email.ptr(), out.ptr());
                    self.status("find_user_by_email", s, Some(&out));
                }
                5 => {
                    let org = self.id(input);
                    let mut out = Out::<mfa_user_list>::new(input);
                    if self.status("list_users", mfa_list_users(core, org.ptr(), out.ptr()), Some(&out)) {
                        mfa_user_list_free(out.ptr());
                    }
                }
                6 => {
                    let mut out = Out::<mfa_org_list>::new(input);
                    if self.status("list_orgs", mfa_list_orgs(core, out.ptr()), Some(&out)) {
                        mfa_org_list_free(out.ptr());
                    }
                }
                7 => {
                    let (actor, target, proof) = (self.id(input), self.id(input), self.code(input));
                    let mut out = Out::<mfa_user>::new(input);
                    let s = mfa_set_role(
                        core,
                        actor.ptr(),
                        target.ptr(),
                        Self::role(input),
                        proof.ptr(),
                        out.ptr(),
                    );
                    self.status("set_role", s, Some(&out));
                }
                8 => {
                    let (actor, target, proof) = (self.id(input), self.id(input), self.code(input));
                    let mut out = Out::<mfa_user>::new(input);
                    let s = mfa_disable_user(core, actor.ptr(), target.ptr(), proof.ptr(), out.ptr());
                    self.status("disable_user", s, Some(&out));
                }
                9 => {
                    let (actor, target) = (self.id(input), self.id(input));
                    let mut out = Out::<mfa_user>::new(input);
                    let s = mfa_enable_user(core, actor.ptr(), target.ptr(), out.ptr());
                    self.status("enable_user", s, Some(&out));
                }
                10 => {
                    let user = self.id(input);
                    let mut out = Out::<mfa_enrollment>::new(input);
                    if self.status(
                        "begin_enrollment",
                        mfa_begin_enrollment(core, user.ptr(), out.ptr()),
                        Some(&out),
                    ) {
                        let e = out.get().unwrap();
                        let secret = text_of(&e.secret);
                        let uri = CStr::from_ptr(e.uri).to_string_lossy().into_owned();
                        assert!(uri.contains(&secret), "the URI carries the secret");
                        self.seen.add_totp_secret(&secret);
                        self.totp_secrets.push(secret);
                        mfa_enrollment_free(out.ptr());
                    }
                }
                11 | 12 => {
                    let (user, code) = (self.id(input), self.code(input));
                    let mut out = Out::<mfa_recovery_codes>::new(input);
                    let (call, s) = if input.bool() {
                        (
                            "confirm_enrollment",
                            mfa_confirm_enrollment(core, user.ptr(), code.ptr(), out.ptr()),
                        )
                    } else {
                        (
                            "regenerate_recovery_codes",
                            mfa_regenerate_recovery_codes(core, user.ptr(), code.ptr(), out.ptr()),
                        )
                    };
                    if self.status(call, s, Some(&out)) {
                        let codes = out.get().unwrap();
                        for c in &codes.codes[..codes.count] {
                            self.seen.add(text_of(c));
                            self.codes.push(text_of(c));
                        }
                        mfa_recovery_codes_clear(out.ptr());
                    }
                }
                13 => {
                    let (user, code) = (self.id(input), self.code(input));
                    let mut out = Out::<mfa_verification>::new(input);
                    self.status("verify", mfa_verify(core, user.ptr(), code.ptr(), out.ptr()), Some(&out));
                }
                14 => {
                    let user = self.id(input);
                    let mut out = Out::<mfa_user_mfa_status>::new(input);
                    self.status("mfa_status", mfa_get_mfa_status(core, user.ptr(), out.ptr()), Some(&out));
                }
                15 => {
                    let secret = Arg::new(input, &self.totp_secrets);
                    let t = input.time(mfa_fuzz::T0);
                    let mut out = Out::<[c_char; 7]>::new(input);
                    let s = mfa_totp_code(secret.ptr(), t, out.ptr().cast());
                    if self.status("totp_code", s, Some(&out)) {
                        let code = text_of(out.get().unwrap());
                        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code:?}");
                    }
                }
                16 => {
                    let t = input.time(mfa_fuzz::T0);
                    let mut before = 0i64;
                    assert_eq!(mfa_now(core, &mut before), mfa_status::MFA_OK);
                    let ok = self.status::<()>("set_time", mfa_set_time(core, t), None);
                    let mut after = Out::<i64>::new(input);
                    if self.status("now", mfa_now(core, after.ptr()), Some(&after)) && ok {
                        assert_eq!(*after.get().unwrap(), t);
                    }
                    if !ok {
                        let mut now = 0i64;
                        mfa_now(core, &mut now);
                        // A refused set_time moves no clock: a manual one stays where it was;
                        // the system clock (where set_time is always refused) may have ticked on
                        // meanwhile, but not past the wall clock, nor to `t`.
                        let wall = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(i64::MAX, |d| d.as_secs() as i64);
                        assert!(
                            now == before || (now != t && before < now && now <= wall),
                            "a refused set_time moved the clock from {before} to {now} (asked {t})"
                        );
                    }
                }
                17 => {
                    let (actor, target) = (self.id(input), self.id(input));
                    let (options, _args) = self.reset_options(input);
                    let options_ptr: *const mfa_reset_options = if input.bool() { &options } else { null() };
                    let mut out = Out::<mfa_receipt>::new(input);
                    let s = mfa_reset_mfa(core, actor.ptr(), target.ptr(), options_ptr, out.ptr());
                    self.status("reset_mfa", s, Some(&out));
                }
                18 => {
                    let actor = self.id(input);
                    let targets: Vec<Arg> = (0..input.u8() % 5).map(|_| self.id(input)).collect();
                    let ptrs: Vec<*const c_char> = targets.iter().map(Arg::ptr).collect();
                    let list: *const *const c_char = if input.pick(8) == 0 { null() } else { ptrs.as_ptr() };
                    let (options, _args) = self.reset_options(input);
                    let mut out = Out::<mfa_bulk_outcome_list>::new(input);
                    let s = mfa_reset_mfa_many(core, actor.ptr(), list, ptrs.len(), &options, out.ptr());
                    if self.status("reset_mfa_many", s, Some(&out)) {
                        let outcomes = out.get().unwrap();
                        assert_eq!(outcomes.len, targets.len(), "one outcome per target");
                        for i in 0..outcomes.len {
                            let o = &*outcomes.items.add(i);
                            if o.status != mfa_status::MFA_OK {
                                let code = CStr::from_ptr(mfa_status_str(o.status as i32)).to_str().unwrap();
                                contract::check("reset_mfa_many.target", code, "(bulk outcome)");
                            }
                        }
                        mfa_bulk_outcome_list_free(out.ptr());
                    }
                }
                19 => {
                    let (actor, target) = (self.id(input), self.id(input));
                    let action = self.arg(input, &["mfa.reset".into(), "user.create".into()]);
                    let mut query = MaybeUninit::<mfa_audit_query>::uninit();
                    mfa_audit_query_init(query.as_mut_ptr());
                    let mut query = query.assume_init();
                    query.struct_size = struct_size::<mfa_audit_query>(input);
                    query.after_seq = input.number(&[
                        0,
                        1,
                        ::mfa_core::MAX_AUDIT_SEQ,
                        ::mfa_core::MAX_AUDIT_SEQ + 1,
                        u64::MAX,
                    ]);
                    if input.bool() {
                        query.limit = input.number(&[0, 1, 10_000, 10_001]) as u32;
                    }
                    for (field, arg) in [
                        (&mut query.actor, &actor),
                        (&mut query.target, &target),
                        (&mut query.action, &action),
                    ] {
                        if input.bool() {
                            *field = arg.ptr();
                        }
                    }
                    let query_ptr: *const mfa_audit_query = if input.pick(8) == 0 { null() } else { &query };
                    let mut out = Out::<mfa_audit_event_list>::new(input);
                    if self.status("audit_events", mfa_audit_events(core, query_ptr, out.ptr()), Some(&out)) {
                        let list = out.get().unwrap();
                        for i in 0..list.len {
                            let e = &*list.items.add(i);
                            // A `struct_size` that ends before `after_seq` leaves it at 0.
                            let after_seq_read = query.struct_size as usize
                                >= std::mem::offset_of!(mfa_audit_query, after_seq) + size_of::<u64>();
                            assert!(query_ptr.is_null() || !after_seq_read || e.seq > query.after_seq);
                            // The detail and code are the library's own text (the reason is the caller's).
                            for p in [e.detail, e.code] {
                                if !p.is_null() {
                                    self.seen.check("audit event", &CStr::from_ptr(p).to_string_lossy(), &[]);
                                }
                            }
                        }
                        mfa_audit_event_list_free(out.ptr());
                    }
                }
                20 => {
                    let mut head = Out::<mfa_checkpoint>::new(input);
                    self.status("audit_checkpoint", mfa_audit_checkpoint(core, head.ptr()), Some(&head));
                    let mut cp = mfa_checkpoint { seq: input.number(&[0, 1, u64::MAX]), mac: [0; 65] };
                    for (i, b) in input.bytes(65).iter().enumerate() {
                        cp.mac[i] = *b as c_char;
                    }
                    if let Some(h) = head.get().filter(|_| input.bool()) {
                        cp = mfa_checkpoint { seq: h.seq, mac: h.mac };
                    }
                    let cp_ptr: *const mfa_checkpoint = if input.bool() { &cp } else { null() };
                    let mut out = Out::<mfa_audit_report>::new(input);
                    self.status("verify_audit", mfa_verify_audit(core, cp_ptr, out.ptr()), Some(&out));
                }
                _ => {
                    let status = input.i64() as i32;
                    assert!(!mfa_status_str(status).is_null());
                    let http = mfa_status_http(status);
                    assert!(http == 200 || (400..600).contains(&http), "{status} -> {http}");
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let issuer = Arg::new(&mut input, &["Acme".into()]);
    let options = mfa_open_options {
        struct_size: struct_size::<mfa_open_options>(&mut input),
        manual_clock: input.pick(8) != 0,
        start_time: if input.bool() { mfa_fuzz::T0 } else { input.time(mfa_fuzz::T0) },
        issuer: if input.bool() { issuer.ptr() } else { null() },
        // An in-memory store always exists: a missing file is for the file-based tests.
        create_if_missing: true,
        // Every `mfa_durability` value and a few that are none.
        durability: [0, 1, 2, 3, -1, i32::MAX][input.pick(6)],
    };
    let key_len = if input.pick(16) == 0 { input.u8() as usize % 40 } else { 32 };
    let key = [mfa_fuzz::KEY.as_slice(), &[0u8; 8]].concat();
    let mut core = Out::<*mut mfa_core>::new(&mut input);
    let world = World {
        core: null_mut(),
        ids: Vec::new(),
        emails: Vec::new(),
        totp_secrets: Vec::new(),
        codes: Vec::new(),
        seen: Secrets::new(),
        given: RefCell::new(issuer.0.iter().map(|c| c.to_string_lossy().into_owned()).collect()),
    };
    let memory = c":memory:";
    // SAFETY: valid strings and buffers.
    let opened = unsafe { mfa_core_open(memory.as_ptr(), key.as_ptr(), key_len, &options, core.ptr()) };
    if !world.status("open", opened, Some(&core)) {
        return;
    }
    let mut world = World { core: *core.get().unwrap(), ..world };
    for _ in 0..48 {
        if input.is_empty() {
            break;
        }
        world.step(&mut input);
    }
    let mut report = MaybeUninit::<mfa_audit_report>::uninit();
    // SAFETY: a live handle and a valid buffer; the handle is closed once.
    unsafe {
        assert_eq!(mfa_verify_audit(world.core, null(), report.as_mut_ptr()), mfa_status::MFA_OK);
        assert!(report.assume_init().ok, "the audit chain verifies");
        mfa_core_close(world.core);
    }
});
