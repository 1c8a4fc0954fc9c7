//! A visitor's files reach every helpdesk: attached where the helpdesk documents attachments by
//! address (Intercom's images as `attachment_urls`, Sunshine's `image`/`file` messages,
//! Freshchat's `image`/`file` parts), as links in the text elsewhere; either way the address
//! the helpdesk holds serves the file.

use baton_tests::{
    eventually,
    helpdesks::Remote,
    widget_client::{uploaded, WidgetClient, PNG},
};
use shared::{ClientFrame, Phase, Role};

use super::{ask_for_a_person, everywhere, relay_for, until_handed_over, Setup};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// The `📎 name: address` lines of the helpdesk's texts, in order.
fn links(remote: &Remote) -> Vec<(String, String)> {
    let lines = remote.entries.iter().flat_map(|e| e.text.lines().map(str::to_owned).collect::<Vec<_>>());
    lines
        .filter_map(|line| {
            let (_, link) = line.split_once("📎 ")?;
            let (name, url) = link.split_once(": ")?;
            let url = url.split(|c: char| c.is_whitespace() || c == '<').next()?;
            Some((name.to_string(), url.to_string()))
        })
        .collect()
}

async fn served(url: &str) -> Vec<u8> {
    let response = reqwest::get(url).await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.expect("the file").to_vec()
}

/// A file before the handover (it goes with it), two after (forwarded with the text): every
/// helpdesk ends up with all three, each at an address that serves its bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitors_files_reach_the_helpdesk_attached_or_as_links() {
    everywhere(|desk| async move {
        let Setup { relay, _db, .. } = relay_for(&*desk).await;
        let (mut visitor, _, token) = WidgetClient::greeted(&relay.ws_url()).await;
        let http = relay.http_url();
        let before = uploaded(&http, &token, "before.png", PNG.to_vec()).await;
        let text = "The zip of my jacket broke".to_string();
        visitor.send(&ClientFrame::Send { client_id: "f1".into(), text, attachments: vec![before] }).await;
        visitor.until_message(Role::Bot, "").await;
        ask_for_a_person(&*desk, &mut visitor).await;
        visitor.until_phase(Phase::Waiting).await;
        until_handed_over(&*desk, "the handover", |r| !r.entries.is_empty()).await;

        let after = uploaded(&http, &token, "after.png", PNG.to_vec()).await;
        let receipt = uploaded(&http, &token, "receipt.pdf", PDF.to_vec()).await;
        let text = "Here is the receipt".to_string();
        visitor.send(&ClientFrame::Send { client_id: "f2".into(), text, attachments: vec![after, receipt] }).await;
        let all_there = || {
            let remote = desk.remote()?;
            let forwarded = remote.texts().iter().any(|t| t.contains("Here is the receipt"));
            (forwarded && desk.attached().len() + links(&remote).len() >= 3).then_some(remote)
        };
        let remote = eventually("the three files", all_there, || (desk.remote(), desk.attached())).await;

        let (attached, links) = (desk.attached(), links(&remote));
        let name = desk.profile().name;
        if desk.takes_files() {
            // The images are the helpdesk's own attachments, not links.
            assert_eq!(attached.iter().filter(|a| a.image).count(), 2, "{name}: {attached:?}");
            assert!(links.iter().all(|(n, _)| !n.ends_with(".png")), "{name}: {links:?}");
            for image in attached.iter().filter(|a| a.image) {
                assert_eq!(served(&image.url).await, PNG, "{name}");
            }
            // The PDF: a `file` where the helpdesk has one (Sunshine, Freshchat); a link in
            // Intercom's body, whose `attachment_urls` are documented as images.
            let pdf = attached.iter().find(|a| !a.image).map(|a| a.url.clone());
            let pdf = pdf.or_else(|| links.iter().find(|(n, _)| n == "receipt.pdf").map(|(_, u)| u.clone()));
            assert_eq!(served(&pdf.unwrap_or_else(|| panic!("{name}: no PDF"))).await, PDF, "{name}");
        } else {
            assert!(attached.is_empty(), "{name}");
            let mut names: Vec<&str> = links.iter().map(|(n, _)| n.as_str()).collect();
            names.sort();
            assert_eq!(names, ["after.png", "before.png", "receipt.pdf"], "{name}: {remote:?}");
            for (file, url) in &links {
                let expected = if file.ends_with(".png") { PNG } else { PDF };
                assert_eq!(served(url).await, expected, "{name}: {file}");
            }
        }
    })
    .await;
}
