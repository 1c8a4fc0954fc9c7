//! The handover settings of a site: the fields of the seed's Handover node plus the texts the
//! other steps of a handover need. Every text is a template (MiniJinja syntax) with the
//! variables `visitor_name`, `visitor_email`, `queue_position`, `wait_estimate` and
//! `agent_name`; see README.md.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HandoverConfig {
    /// "Text Message": posted when the handover starts.
    pub text_message: String,
    /// Posted instead of `text_message` when the site's helpdesk takes tickets: the answer
    /// comes by email and to this chat thread, which stays open.
    pub ticket_message: String,
    /// "Cancel Intent Name": the intent that cancels a pending handover.
    pub cancel_intent: String,
    /// The phrases that trigger the cancel intent while waiting (compared without case and
    /// punctuation).
    pub cancel_phrases: Vec<String>,
    /// "Unavailable Message": no agent online, outside office hours or the helpdesk is down.
    pub unavailable_message: String,
    /// "Unsupported Channel Message": the channel cannot carry a live chat.
    pub unsupported_channel_message: String,
    /// "Quick Reply Text": the button that cancels a pending handover.
    pub quick_reply_text: String,
    /// Extra phrases that ask for a person, on top of the built-in detector (see
    /// `triggers.explicit_request`).
    pub request_phrases: Vec<String>,
    /// The label of the always-reachable "Talk to a person" button.
    pub request_button_text: String,
    pub cancelled_message: String,
    pub agent_joined_message: String,
    pub agent_ended_message: String,
    pub follow_up_saved_message: String,
    pub rating_prompt: String,
    pub rated_message: String,
    pub bot_back_message: String,
    /// The helpdesk is slow to take the handover; it is kept and will arrive.
    pub delayed_message: String,
    /// Average minutes an agent spends per conversation, for the wait estimate.
    pub average_handling_minutes: f64,
}

impl Default for HandoverConfig {
    fn default() -> Self {
        Self {
            text_message: "I'm bringing in a person from our team. {% if queue_position > 1 %}You are number \
                {{ queue_position }} in line and the wait is about {{ wait_estimate }}.{% else %}The wait is about \
                {{ wait_estimate }}.{% endif %} You can keep writing: they will see everything."
                .into(),
            ticket_message: "I've passed your request to our team as a ticket. {% if visitor_email %}They will \
                answer by email at {{ visitor_email }}, and the answer will also appear here.{% else %}Their answer \
                will appear here, so come back to this chat later.{% endif %} You can keep writing: they will see \
                everything."
                .into(),
            cancel_intent: "cancel_handover".into(),
            cancel_phrases: ["cancel", "never mind", "nevermind", "stop waiting", "back to the bot", "forget it"]
                .map(String::from)
                .to_vec(),
            unavailable_message: "Sorry{% if visitor_name %} {{ visitor_name }}{% endif %}, nobody from our team \
                is available right now. Leave your email address here and we will get back to you."
                .into(),
            unsupported_channel_message: "Chatting with a person is not possible on this channel. \
                Please use the chat on our website, or email support@northwind.example."
                .into(),
            quick_reply_text: "Cancel request".into(),
            // The trigger detector understands requests in seven languages; sites add their own
            // words here.
            request_phrases: Vec::new(),
            request_button_text: "Talk to a person".into(),
            cancelled_message: "No problem, the request is cancelled. I'm here if you have more questions.".into(),
            agent_joined_message: "{{ agent_name }} joined the chat.".into(),
            agent_ended_message: "{{ agent_name }} ended the chat.".into(),
            follow_up_saved_message: "Thanks! We will write to {{ visitor_email }} as soon as someone is available."
                .into(),
            rating_prompt: "How was your chat with {{ agent_name }}?".into(),
            rated_message: "Thanks for your feedback! I'm back: ask me anything.".into(),
            bot_back_message: "I'm back: ask me anything, or ask for a person again at any time.".into(),
            delayed_message: "Our team's helpdesk is slow to answer right now. Your request is saved and will \
                reach them as soon as it responds; you can keep writing here."
                .into(),
            average_handling_minutes: 3.0,
        }
    }
}

impl HandoverConfig {
    /// Every template with its setting name, for compiling and error reports.
    pub fn templates(&self) -> [(&'static str, &str); 12] {
        [
            ("text_message", &self.text_message),
            ("ticket_message", &self.ticket_message),
            ("unavailable_message", &self.unavailable_message),
            ("unsupported_channel_message", &self.unsupported_channel_message),
            ("cancelled_message", &self.cancelled_message),
            ("agent_joined_message", &self.agent_joined_message),
            ("agent_ended_message", &self.agent_ended_message),
            ("follow_up_saved_message", &self.follow_up_saved_message),
            ("rating_prompt", &self.rating_prompt),
            ("rated_message", &self.rated_message),
            ("bot_back_message", &self.bot_back_message),
            ("delayed_message", &self.delayed_message),
        ]
    }
}
