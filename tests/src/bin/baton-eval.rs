//! Prints the triggers' precision and recall per trigger and language, and the summaries' fact
//! coverage, on the labelled data in `tests/data/`. `cargo run -p baton-tests --bin baton-eval`.

fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).map_or_else(baton_tests::eval::data_dir, Into::into);
    print!("{}", baton_tests::eval::run(&dir)?);
    Ok(())
}
