//! Prints the triggers' precision, recall and false-positive rate with 95 % Wilson intervals,
//! per trigger and language and per kind of wording, and the top confusions, on every labelled
//! set: the training corpus's test part, `tests/data/`, the held-out files and the independent
//! held-out files (when present). `cargo run -p baton-tests --bin baton-eval [data dir]`.
//! The held-out sets' confusions and missed summary facts are counted, never shown: their texts
//! are not there to be read while working on the detectors.
//!
//! `baton-eval --corpus` prints the corpus's test part only: what to look at while working on
//! the detectors, without reading any held-out file (the development part is trained on since
//! the thresholds are cross-validated: `baton-train` prints its out-of-fold figures).

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("--corpus") {
        println!("{}", baton_tests::eval::corpus_test()?);
        return Ok(());
    }
    let dir = std::env::args().nth(1).map_or_else(baton_tests::eval::data_dir, Into::into);
    for report in baton_tests::eval::sets(&dir)? {
        println!("{report}");
    }
    Ok(())
}
