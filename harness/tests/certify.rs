//! `baton certify` with the quick battery: the in-repository engines are certified (the same
//! certificate on every run but the date); every corruption mutant and an adapter that panics
//! mid-run fail, naming the failing check and a reproducible case.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use baton::certify::battery::QUICK;
use baton::certify::certificate::{Certificate, Scope, Status};
use baton::certify::subject::{default_references, Subject};
use baton::certify::{campaign, certify, hostile, spec_checkpoint, spec_suite, Options};
use baton::fuzz::engines::{resolve, resolve_all, EngineSpec};
use baton::fuzz::exec::Limits;
use baton::fuzz::mutants::Corruption;
use baton::fuzz::reproduce::reproduce;
use baton_engine::{Engine, InstanceId, RunReport, Wrapper};

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "baton-certify-{}-{}",
        name.replace([':', '/'], "_"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn quick(subject: &Subject, out: &Path) -> Certificate {
    let references =
        resolve_all(&default_references(&subject.identity.name)).expect("references resolve");
    let options = Options {
        battery: &QUICK,
        out: out.to_path_buf(),
        exit_on_hang: false,
        progress: false,
    };
    certify(subject, &references, &options).expect("certificate written")
}

fn certify_named(name: &str) -> (Certificate, PathBuf) {
    let subject = Subject::resolve(name).expect("engine resolves");
    let out = out_dir(name);
    (quick(&subject, &out), out)
}

#[test]
fn stack_and_register_are_certified_and_certificates_are_reproducible() {
    for name in ["stack", "register"] {
        let (first, out) = certify_named(name);
        assert!(first.certified(), "{}", first.summary());
        for id in [
            spec_suite::ID,
            spec_checkpoint::ID,
            campaign::ID,
            hostile::ID,
        ] {
            let check = first.check(id).expect("check present");
            assert_eq!(check.status, Status::Pass, "{name} {id}");
            assert!(
                check.counts.iter().any(|c| c.value > 0),
                "{name} {id}: all counts zero"
            );
        }
        assert_eq!(first.scope, Scope::Checkpoint);
        // The sharper properties (issue 14) ran and exercised something.
        let counts = &first.check(campaign::ID).expect("campaign").counts;
        for property in ["event numbering", "restore fidelity", "NaN bits"] {
            let count = counts
                .iter()
                .find(|c| c.name.starts_with("property on: ") && c.name.contains(property))
                .unwrap_or_else(|| panic!("{name}: {property} not listed: {counts:#?}"));
            assert!(count.value > 0, "{name}: {property} exercised nothing");
        }
        assert!(counts.iter().any(|c| c
            .name
            .starts_with("property on: function references by identity")));
        let written: Certificate = serde_json::from_str(
            &std::fs::read_to_string(out.join("certificate.json")).expect("json written"),
        )
        .expect("json parses");
        assert_eq!(written, first);
        assert!(std::fs::read_to_string(out.join("certificate.md"))
            .expect("markdown written")
            .contains("**CERTIFIED**"));
        let (mut second, _) = certify_named(name);
        second.date = first.date.clone();
        assert_eq!(second, first, "{name}: a second run differs");
        let _ = std::fs::remove_dir_all(&out);
    }
}

#[test]
fn every_mutant_fails_naming_the_check_and_a_reproducible_case() {
    for corruption in Corruption::ALL {
        let name = corruption.engine_name("register");
        let (certificate, out) = certify_named(&name);
        assert!(!certificate.certified(), "{name} was certified");
        assert!(
            certificate.summary().contains("FAILED"),
            "{}",
            certificate.summary()
        );
        // The campaign names a finding directory that `baton reproduce` replays as failing.
        let campaign = certificate.check(campaign::ID).expect("campaign ran");
        assert_eq!(campaign.status, Status::Fail, "{name}: {:#?}", campaign);
        assert!(certificate
            .failing_checks
            .contains(&campaign::ID.to_string()));
        let how = campaign.reproduce.first().expect("a reproducible case");
        let dir = how
            .strip_prefix("baton reproduce ")
            .map(PathBuf::from)
            .expect("a reproduce command");
        assert!(dir.join("case.json").is_file(), "{name}: {}", dir.display());
        let replay = reproduce(&dir, &Limits::default()).expect("finding replays");
        assert!(replay.fails(), "{name}: the finding does not reproduce");
        // Image corruptions are visible to checkpoint-everywhere too.
        let spec = certificate.check(spec_checkpoint::ID).expect("spec ran");
        eprintln!(
            "{name}: failing {:?}; spec-checkpoint {:?} ({} failures)",
            certificate.failing_checks, spec.status, spec.failure_count
        );
        let _ = std::fs::remove_dir_all(&out);
    }
}

/// Wraps `stack` and panics once the shared counter of runs (invoke + resume) reaches `after`.
struct Crashing {
    inner: Box<dyn Engine>,
    runs: Arc<AtomicU64>,
    after: u64,
}

impl Wrapper for Crashing {
    fn inner(&self) -> &dyn Engine {
        self.inner.as_ref()
    }
    fn inner_mut(&mut self) -> &mut dyn Engine {
        self.inner.as_mut()
    }
    fn wrapper_name(&self) -> &str {
        "crashing"
    }
    fn after_run(&mut self, _instance: InstanceId, _report: &mut RunReport) {
        if self.runs.fetch_add(1, Ordering::Relaxed) + 1 >= self.after {
            panic!("crashing adapter: run {} reached", self.after);
        }
    }
}

#[test]
fn an_adapter_that_panics_mid_run_fails_cleanly() {
    let stack = resolve("stack").expect("registered");
    let runs = Arc::new(AtomicU64::new(0));
    let counter = runs.clone();
    let inner = stack.create.clone();
    let engine = EngineSpec {
        name: "crashing".into(),
        checkpoints: true,
        create: Arc::new(move |config| {
            Box::new(Crashing {
                inner: inner(config),
                runs: counter.clone(),
                after: 50,
            })
        }),
        aliases: stack.aliases.clone(),
        kinds: stack.kinds,
    };
    let subject = Subject::new(engine);
    assert_eq!(subject.identity.source, "in-process (not registered)");
    let out = out_dir("crashing");
    let certificate = quick(&subject, &out);
    assert!(!certificate.certified(), "{}", certificate.summary());
    let spec = certificate.check(spec_suite::ID).expect("spec ran");
    assert_eq!(spec.status, Status::Fail);
    assert!(
        spec.failures.iter().any(|f| f.contains("panicked")),
        "{:#?}",
        spec.failures
    );
    let campaign = certificate.check(campaign::ID).expect("campaign ran");
    assert_eq!(campaign.status, Status::Fail);
    assert!(
        campaign.failures.iter().any(|f| f.contains("[panic]")),
        "{:#?}",
        campaign.failures
    );
    assert!(!campaign.reproduce.is_empty());
    assert!(runs.load(Ordering::Relaxed) >= 50);
    assert!(out.join("certificate.json").is_file());
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn an_engine_without_checkpoints_gets_a_run_only_certificate_listing_the_skipped_checks() {
    let (certificate, out) = certify_named("wasmi");
    for id in [spec_checkpoint::ID, campaign::ID, hostile::ID] {
        let check = certificate.check(id).expect("listed");
        assert_eq!(check.status, Status::Skipped, "{id}");
        assert!(
            !check.required,
            "{id}: a skip for not checkpointing is not required"
        );
        let because = check.skipped_because.as_deref().unwrap_or("");
        assert!(because.contains("cannot checkpoint"), "{id}: {because}");
    }
    assert_eq!(
        certificate
            .check(spec_suite::ID)
            .map(|c| (c.status, c.required)),
        Some((Status::Pass, true))
    );
    let capabilities = certificate.check("capabilities").expect("listed");
    assert_eq!(capabilities.status, Status::Pass, "{capabilities:#?}");
    assert!(certificate.certified(), "{}", certificate.summary());
    assert_eq!(certificate.scope, Scope::Run);
    assert!(certificate.summary().contains("CERTIFIED (run only)"));
    let markdown = certificate.to_markdown();
    assert!(
        markdown.contains("**CERTIFIED (run only)**")
            && markdown.contains("`spec-checkpoint`, `campaign`, `hostile-images`"),
        "{markdown}"
    );
    // A run-only engine that fails the spec suite is not certified.
    let mut broken = certificate.clone();
    broken.checks[0].fail("x.wast:1:1 assert_return: wrong".into());
    let rebuilt = Certificate::new(
        broken.engine.clone(),
        broken.references.clone(),
        &QUICK,
        broken.checks.clone(),
    );
    assert!(!rebuilt.certified());
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn unknown_engines_are_typed_errors() {
    let error = Subject::resolve("no-such-engine").expect_err("unknown");
    assert!(error.to_string().contains("no-such-engine"), "{error}");
    let error = Subject::resolve("mutant-nonsense:stack").expect_err("unknown corruption");
    assert!(error.to_string().contains("nonsense"), "{error}");
}

/// Wraps `stack`; after every successful restore it panics, or sleeps for `sleep`.
struct BadRestore {
    inner: Box<dyn Engine>,
    sleep: Option<std::time::Duration>,
}

impl Wrapper for BadRestore {
    fn inner(&self) -> &dyn Engine {
        self.inner.as_ref()
    }
    fn inner_mut(&mut self) -> &mut dyn Engine {
        self.inner.as_mut()
    }
    fn after_restore(&mut self, _instance: InstanceId, _image: &baton_checkpoint::image::Image) {
        match self.sleep {
            Some(duration) => std::thread::sleep(duration),
            None => panic!("bad restore: the adapter crashed"),
        }
    }
}

fn bad_restore(sleep: Option<std::time::Duration>) -> Subject {
    let stack = resolve("stack").expect("registered");
    let inner = stack.create.clone();
    Subject::new(EngineSpec {
        name: "bad-restore".into(),
        checkpoints: true,
        create: Arc::new(move |config| {
            Box::new(BadRestore {
                inner: inner(config),
                sleep,
            })
        }),
        aliases: stack.aliases.clone(),
        kinds: stack.kinds,
    })
}

#[test]
fn hostile_images_that_crash_or_hang_the_restore_fail_the_check() {
    let references = resolve_all(&["register".to_string()]).expect("registered");
    let battery = baton::certify::battery::Battery {
        hostile_timeout: std::time::Duration::from_secs(1),
        ..QUICK
    };
    for (label, sleep) in [
        ("panic", None),
        ("hang", Some(std::time::Duration::from_secs(4))),
    ] {
        let subject = bad_restore(sleep);
        let out = out_dir(&format!("hostile-{label}"));
        let ctx = baton::certify::Context {
            subject: &subject,
            references: &references,
            battery: &battery,
            out: &out,
        };
        let check = baton::fuzz::cli::quiet_panics(|| hostile::run(&ctx));
        assert_eq!(check.status, Status::Fail, "{label}: {check:#?}");
        let wanted = if sleep.is_some() { "hang" } else { "panicked" };
        assert!(
            check.failures[0].contains(wanted),
            "{label}: {:#?}",
            check.failures
        );
        let dir = out.join("hostile");
        let written = std::fs::read_dir(&dir)
            .expect("failing attempts written")
            .next()
            .expect("one attempt")
            .expect("entry")
            .path();
        for file in ["case.json", "module.wasm", "hostile.img", "report.md"] {
            assert!(written.join(file).is_file(), "{label}: {file} missing");
        }
        if sleep.is_some() {
            assert_eq!(check.failure_count, 1, "a hang stops the check");
        }
        let _ = std::fs::remove_dir_all(&out);
    }
}
