//! The evaluation's targets, guarded by `cargo test`: explicit requests recall ≥ 0.95 with at
//! most 2 % false positives on ordinary questions; frustration recall ≥ 0.85; every fact the
//! test conversations state is in their summary.

use baton_tests::eval;

#[test]
fn the_triggers_meet_their_targets() {
    let report = eval::run(&eval::data_dir()).expect("evaluation data");
    println!("{report}");
    let all = |trigger: &str| report.triggers[trigger]["all"];
    let request = all("explicit_request");
    assert!(request.tp + request.fn_ >= 40 && request.fp + request.tn >= 80, "too little data");
    assert!(request.recall() >= 0.95, "explicit request recall {}", request.recall());
    assert!(request.false_positive_rate() <= 0.02, "explicit request FP {}", request.false_positive_rate());
    let frustration = all("frustration");
    assert!(frustration.tp + frustration.fn_ >= 30 && frustration.fp + frustration.tn >= 30, "too little data");
    assert!(frustration.recall() >= 0.85, "frustration recall {}", frustration.recall());
    assert_eq!(report.facts_found, report.facts_stated, "summaries missed facts: {:?}", report.missed);
}
