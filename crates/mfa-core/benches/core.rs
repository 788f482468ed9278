//! Criterion benches for the hot calls, on a real file under `synchronous=FULL`:
//! `cargo bench -p mfa-core --bench core`. Results and the machine are in the README's
//! Performance section.

use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mfa_core::{Core, OpenOptions, Policy, ResetOptions, Role, totp};

const KEY: [u8; 32] = [3; 32];
const T0: i64 = 1_700_000_010;

struct Fixture {
    core: Arc<Core>,
    admin: String,
    members: Vec<String>,
    _dir: tempfile::TempDir,
}

/// A store on disk (the cargo target dir, not a tmpfs) with `members` members, the first
/// `enrolled` of them enrolled.
fn fixture(members: usize, enrolled: usize) -> Fixture {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let options = OpenOptions { manual_clock: Some(T0), ..Default::default() };
    let core = Arc::new(Core::open(dir.path().join("bench.db"), &KEY, options).unwrap());
    let policy = Policy { mfa_required: true, reset_limit_per_hour: 1_000_000, ..Policy::default() };
    let org = core.create_org("Bench", policy).unwrap();
    let admin = core.create_user(&org.id, "admin@bench.test", Role::Admin).unwrap().id;
    // Eight threads, so that setup rides on group commit.
    let per = members.div_ceil(8);
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let (core, org) = (core.clone(), org.id.clone());
            std::thread::spawn(move || {
                (t * per..((t + 1) * per).min(members))
                    .map(|i| core.create_user(&org, &format!("m{i}@bench.test"), Role::Member).unwrap().id)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let members: Vec<String> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    for m in &members[..enrolled] {
        let secret = totp::decode_base32(&core.begin_enrollment(m).unwrap().secret).unwrap();
        let code = totp::code_for_step(&secret, totp::step_at(core.now())).unwrap();
        core.confirm_enrollment(m, &code).unwrap();
    }
    Fixture { core, admin, members, _dir: dir }
}

fn reset(c: &mut Criterion) {
    for users in [1_000, 100_000] {
        let f = fixture(users, 100);
        let mut i = 0;
        c.bench_function(&format!("reset_mfa/{users}_users"), |b| {
            b.iter(|| {
                i = (i + 1) % 100;
                f.core.reset_mfa(&f.admin, &f.members[i], &ResetOptions::default()).unwrap()
            })
        });
    }
}

fn verify(c: &mut Criterion) {
    let f = fixture(100, 0);
    let user = &f.members[0];
    let secret = totp::decode_base32(&f.core.begin_enrollment(user).unwrap().secret).unwrap();
    let mut step = totp::step_at(T0);
    f.core.confirm_enrollment(user, &totp::code_for_step(&secret, step).unwrap()).unwrap();
    c.bench_function("verify/totp", |b| {
        b.iter_batched(
            || {
                // A new step each time, so that no code is a replay.
                step += 1;
                (step * 30, totp::code_for_step(&secret, step).unwrap())
            },
            |(time, code)| {
                f.core.set_time(time).unwrap();
                f.core.verify(user, &code).unwrap()
            },
            BatchSize::SmallInput,
        )
    });
}

fn verify_audit(c: &mut Criterion) {
    let f = fixture(10_000, 0);
    let events = f.core.audit_checkpoint().unwrap().seq;
    let mut group = c.benchmark_group("verify_audit");
    group.throughput(Throughput::Elements(events));
    group.sample_size(10);
    group.bench_function(format!("{events}_events"), |b| {
        b.iter(|| assert!(f.core.verify_audit(None).unwrap().ok))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(5));
    targets = reset, verify, verify_audit
}
criterion_main!(benches);
