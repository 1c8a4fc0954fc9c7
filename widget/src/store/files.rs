//! Files the visitor is about to send: each is checked against the site's limits
//! (`welcome.attachments`) before it is uploaded, shown with its progress while uploading, and
//! sent by id with the next message once uploaded. A refusal names the file and says why
//! (too large, a type the site does not take, offline, the upload failed), in the widget's
//! language. Pure: the browser side (`ui/attach.rs`) does the picking and the uploading.

use shared::{Attachment, AttachmentLimits, MAX_ATTACHMENTS};

use crate::i18n::{fill, Lang, Texts};

/// Why a file was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TooLarge,
    TypeNotAllowed,
    /// More than [`MAX_ATTACHMENTS`] in one message.
    TooMany,
    Offline,
    RateLimited,
    Failed,
}

impl Refusal {
    /// The refusal an upload's HTTP answer means (`0`: no answer at all).
    pub fn of_status(status: u16, online: bool) -> Refusal {
        match status {
            0 if !online => Refusal::Offline,
            413 => Refusal::TooLarge,
            415 => Refusal::TypeNotAllowed,
            429 => Refusal::RateLimited,
            _ => Refusal::Failed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Percent sent.
    Uploading(u8),
    Ready(Attachment),
}

/// A file about to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    pub key: u32,
    pub name: String,
    pub size: u64,
    pub stage: Stage,
}

impl Staged {
    /// What the list shows of it, but the progress: key, name, size, uploaded.
    pub fn outline(&self) -> (u32, String, u64, bool) {
        (self.key, self.name.clone(), self.size, matches!(self.stage, Stage::Ready(_)))
    }
}

/// The files about to be sent, and what to tell the visitor about them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Files {
    pub staged: Vec<Staged>,
    next_key: u32,
    /// The last refusal, with the file's name (shown until the next file or message).
    pub refused: Option<(Refusal, String)>,
    /// The last file that started uploading or became ready (announced to screen readers).
    pub news: Option<(bool, String)>,
}

impl Files {
    /// Checks a picked, dropped or pasted file (`content_type` as the browser guessed it from
    /// the name, possibly empty) and stages it. Returns the key its upload reports under.
    pub fn start(
        &mut self,
        limits: Option<&AttachmentLimits>,
        name: &str,
        content_type: &str,
        size: u64,
        online: bool,
    ) -> Option<u32> {
        let refusal = match limits {
            None => Some(Refusal::TypeNotAllowed),
            Some(limits) if size > limits.max_bytes => Some(Refusal::TooLarge),
            Some(limits) if !may_be(limits, content_type) => Some(Refusal::TypeNotAllowed),
            Some(_) if self.staged.len() >= MAX_ATTACHMENTS => Some(Refusal::TooMany),
            Some(_) if !online => Some(Refusal::Offline),
            Some(_) => None,
        };
        if let Some(refusal) = refusal {
            self.refused = Some((refusal, name.to_string()));
            return None;
        }
        self.next_key += 1;
        let key = self.next_key;
        self.staged.push(Staged { key, name: name.to_string(), size, stage: Stage::Uploading(0) });
        self.refused = None;
        self.news = Some((false, name.to_string()));
        Some(key)
    }

    pub fn progress(&mut self, key: u32, loaded: f64, total: f64) {
        if let Some(file) = self.staged.iter_mut().find(|f| f.key == key && matches!(f.stage, Stage::Uploading(_))) {
            let percent = if total > 0.0 { (loaded / total * 100.0).clamp(0.0, 100.0) } else { 0.0 };
            file.stage = Stage::Uploading(percent as u8);
        }
    }

    /// How much of `key` is sent, in percent (100 once uploaded or gone).
    pub fn percent(&self, key: u32) -> u8 {
        match self.staged.iter().find(|f| f.key == key).map(|f| &f.stage) {
            Some(Stage::Uploading(percent)) => *percent,
            _ => 100,
        }
    }

    pub fn uploaded(&mut self, key: u32, attachment: Attachment) {
        if let Some(file) = self.staged.iter_mut().find(|f| f.key == key) {
            self.news = Some((true, file.name.clone()));
            file.stage = Stage::Ready(attachment);
        }
    }

    /// The upload of `key` was refused: the file leaves the message, and the visitor is told.
    pub fn failed(&mut self, key: u32, refusal: Refusal) {
        if let Some(at) = self.staged.iter().position(|f| f.key == key) {
            let file = self.staged.remove(at);
            self.refused = Some((refusal, file.name));
        }
    }

    /// The visitor took `key` off the message. Returns whether it was still there.
    pub fn remove(&mut self, key: u32) -> bool {
        let before = self.staged.len();
        self.staged.retain(|f| f.key != key);
        self.staged.len() != before
    }

    /// A file is still uploading: the message waits for it.
    pub fn busy(&self) -> bool {
        self.staged.iter().any(|f| matches!(f.stage, Stage::Uploading(_)))
    }

    /// The uploaded files, to send with the message.
    pub fn ready(&self) -> Vec<Attachment> {
        self.staged
            .iter()
            .filter_map(|f| match &f.stage {
                Stage::Ready(attachment) => Some(attachment.clone()),
                Stage::Uploading(_) => None,
            })
            .collect()
    }

    /// The message went out with them.
    pub fn sent(&mut self) {
        self.staged.clear();
        self.refused = None;
        self.news = None;
    }

    /// What to show for the last refusal; `max` is the site's largest file.
    pub fn refusal_text(&self, t: &Texts, lang: Lang, max: u64) -> Option<String> {
        let (refusal, name) = self.refused.as_ref()?;
        let text = match refusal {
            Refusal::TooLarge => fill(t.file_too_large, "max", &size_text(max, lang)),
            Refusal::TypeNotAllowed => t.file_type.to_string(),
            Refusal::TooMany => return Some(fill(t.too_many_files, "n", &MAX_ATTACHMENTS.to_string())),
            Refusal::Offline => t.file_offline.to_string(),
            Refusal::RateLimited => return Some(t.rate_limited.to_string()),
            Refusal::Failed => t.file_failed.to_string(),
        };
        Some(fill(&text, "name", name))
    }

    /// The sentence for screen readers about the last file started or uploaded.
    pub fn news_text(&self, t: &Texts) -> String {
        match &self.news {
            Some((false, name)) => fill(t.uploading, "name", name),
            Some((true, name)) => fill(t.file_ready, "name", name),
            None => String::new(),
        }
    }
}

/// Whether a file the browser typed `content_type` may be one the site takes. An unknown type
/// (empty) is left to the relay, which reads the bytes; so is any text but markup when plain
/// text is allowed (the relay takes UTF-8 text without markup as `text/plain`).
fn may_be(limits: &AttachmentLimits, content_type: &str) -> bool {
    let text = content_type.starts_with("text/") && !content_type.contains("html") && !content_type.contains("xml");
    content_type.is_empty() || limits.types.iter().any(|t| t == content_type || (text && t == "text/plain"))
}

/// A file size for people: `12 B`, `340 KB`, `1.5 MB` (a decimal comma but in English).
pub fn size_text(bytes: u64, lang: Lang) -> String {
    const KB: u64 = 1024;
    let text = match bytes {
        b if b < KB => return format!("{b} B"),
        b if b < KB * KB => format!("{} KB", b.div_ceil(KB)),
        b => {
            let tenths = (b * 10).div_ceil(KB * KB);
            match tenths % 10 {
                0 => format!("{} MB", tenths / 10),
                d => format!("{}.{d} MB", tenths / 10),
            }
        }
    };
    if lang == Lang::En {
        text
    } else {
        text.replace('.', ",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::EN;

    fn limits() -> AttachmentLimits {
        AttachmentLimits { types: vec!["image/png".into(), "text/plain".into()], max_bytes: 2 * 1024 * 1024 }
    }

    fn file(id: &str) -> Attachment {
        Attachment {
            id: id.into(),
            name: format!("{id}.png"),
            content_type: "image/png".into(),
            size: 70,
            url: format!("/attachments/{id}?expires=9&sig=x"),
        }
    }

    #[test]
    fn files_the_site_does_not_take_are_refused_before_any_upload_with_the_reason_in_the_language() {
        let mut f = Files::default();
        let l = limits();
        assert_eq!(f.start(Some(&l), "big.png", "image/png", 3 * 1024 * 1024, true), None);
        assert_eq!(
            f.refusal_text(Lang::De.texts(), Lang::De, l.max_bytes).unwrap(),
            "big.png ist zu groß: Dateien dürfen höchstens 2 MB groß sein."
        );
        assert_eq!(f.start(Some(&l), "page.html", "text/html", 10, true), None);
        assert_eq!(f.refused, Some((Refusal::TypeNotAllowed, "page.html".into())));
        assert_eq!(f.start(Some(&l), "a.svg", "image/svg+xml", 10, true), None);
        assert_eq!(f.start(Some(&l), "a.png", "image/png", 10, false), None);
        assert_eq!(f.refusal_text(&EN, Lang::En, 0).unwrap(), "a.png was not uploaded: you're offline.");
        assert_eq!(f.start(None, "a.png", "image/png", 10, true), None, "a site without files");
        assert!(f.staged.is_empty());
        // Unknown types and text are left to the relay's reading of the bytes.
        assert!(f.start(Some(&l), "scan", "", 10, true).is_some());
        assert!(f.start(Some(&l), "orders.csv", "text/csv", 10, true).is_some());
        assert_eq!(f.refused, None, "a file taken clears the last refusal");
        for n in 2..MAX_ATTACHMENTS {
            assert!(f.start(Some(&l), &format!("{n}.png"), "image/png", 10, true).is_some());
        }
        assert_eq!(f.start(Some(&l), "one-more.png", "image/png", 10, true), None);
        assert_eq!(f.refusal_text(&EN, Lang::En, 0).unwrap(), "Up to 10 files per message.");
    }

    #[test]
    fn an_upload_shows_progress_then_waits_ready_for_the_message_or_leaves_it_refused() {
        let mut f = Files::default();
        let a = f.start(Some(&limits()), "a.png", "image/png", 100, true).unwrap();
        let b = f.start(Some(&limits()), "b.png", "image/png", 100, true).unwrap();
        assert_eq!(f.news_text(&EN), "Uploading b.png…");
        f.progress(a, 50.0, 200.0);
        assert_eq!((f.percent(a), f.percent(b)), (25, 0));
        assert!(f.busy());
        f.uploaded(a, file("a"));
        assert_eq!(f.news_text(&EN), "a.png is ready to send.");
        f.progress(a, 1.0, 2.0);
        assert_eq!(f.staged[0].stage, Stage::Ready(file("a")), "a late progress event changes nothing");
        assert_eq!(f.staged[0].outline(), (a, "a.png".to_string(), 100, true));
        assert_eq!(f.percent(a), 100);
        assert!(f.busy(), "b still uploads");
        f.failed(b, Refusal::of_status(415, true));
        assert_eq!(
            f.refusal_text(&EN, Lang::En, 0).unwrap(),
            "b.png can't be sent: this kind of file isn't accepted here."
        );
        assert!(!f.busy());
        assert_eq!(f.ready(), vec![file("a")]);
        f.failed(b, Refusal::Failed);
        assert_eq!(f.refused.as_ref().unwrap().0, Refusal::TypeNotAllowed, "an upload gone already reports nothing");
        assert!(f.remove(a) && !f.remove(a));
        assert!(f.ready().is_empty());
        let c = f.start(Some(&limits()), "c.png", "image/png", 100, true).unwrap();
        f.uploaded(c, file("c"));
        f.sent();
        assert!(f.staged.is_empty() && f.refused.is_none());
        assert_eq!(Refusal::of_status(0, false), Refusal::Offline);
        assert_eq!(Refusal::of_status(0, true), Refusal::Failed);
        assert_eq!(Refusal::of_status(413, true), Refusal::TooLarge);
        assert_eq!(Refusal::of_status(429, true), Refusal::RateLimited);
        assert_eq!(Refusal::of_status(503, true), Refusal::Failed);
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(size_text(512, Lang::En), "512 B");
        assert_eq!(size_text(2000, Lang::En), "2 KB");
        assert_eq!(size_text(10 * 1024 * 1024, Lang::De), "10 MB");
        assert_eq!(size_text(1024 * 1024 + 500 * 1024, Lang::En), "1.5 MB");
        assert_eq!(size_text(1024 * 1024 + 500 * 1024, Lang::De), "1,5 MB");
    }
}
