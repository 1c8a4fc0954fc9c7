//! Every state against every input, plus the concurrent orders the handover must survive.

use super::*;

fn alex() -> AgentRef {
    AgentRef { id: "a1".into(), name: "Alex".into() }
}
fn sam() -> AgentRef {
    AgentRef { id: "a2".into(), name: "Sam".into() }
}

fn states() -> Vec<State> {
    vec![
        State::default(),
        State { phase: Phase::Bot, awaiting_email: true, email_before: None },
        State { phase: Phase::Bot, awaiting_email: false, email_before: Some(Reason::Frustration) },
        State {
            phase: Phase::Waiting { reason: Reason::ExplicitRequest, since: 1 },
            awaiting_email: false,
            email_before: None,
        },
        State { phase: Phase::Agent { agent: alex() }, awaiting_email: false, email_before: None },
        State { phase: Phase::Ended { agent: alex() }, awaiting_email: false, email_before: None },
    ]
}

fn message(text: &str, signals: Signals) -> Input {
    Input::VisitorMessage { text: text.into(), signals, channel: Channel::Widget, now: 5 }
}

/// The actor's answer to a `CheckAvailability` for an explicit request.
fn decided(channel: Channel, availability: Availability) -> Input {
    Input::AvailabilityKnown { reason: Reason::ExplicitRequest, channel, availability, ask_email: false, now: 5 }
}

/// The same answer on a site that wants the visitor's email first.
fn decided_asking_email(channel: Channel, availability: Availability) -> Input {
    Input::AvailabilityKnown { reason: Reason::ExplicitRequest, channel, availability, ask_email: true, now: 5 }
}

fn inputs() -> Vec<Input> {
    let mut inputs = vec![
        Input::Started,
        message("hi", Signals::default()),
        message("a person please", Signals { handover: Some(Reason::ExplicitRequest), ..Signals::default() }),
        message("never mind", Signals { cancel: true, ..Signals::default() }),
        message("me@example.com", Signals { email: Some("me@example.com".into()), ..Signals::default() }),
        message("useless!!", Signals { offer: Some(Reason::Frustration), ..Signals::default() }),
        Input::Cancel,
        Input::AgentAccept { agent: alex() },
        Input::AgentAccept { agent: sam() },
        Input::AgentMessage { agent_id: "a1".into() },
        Input::AgentMessage { agent_id: "a2".into() },
        Input::AgentTyping { agent_id: "a1".into() },
        Input::AgentEnd { agent_id: "a1".into() },
        Input::AgentEnd { agent_id: "a2".into() },
        Input::ClosedByHelpdesk,
        Input::HandoverDelayed,
        Input::HandoverFailed,
        Input::Rate { score: 5 },
        Input::Rate { score: 0 },
        Input::Rate { score: 6 },
        Input::Email { email: "ada@example.com".into(), now: 5 },
        Input::SkipEmail { now: 5 },
    ];
    for channel in [Channel::Widget, Channel::Http] {
        inputs.push(Input::RequestHandover { reason: Reason::ExplicitRequest, channel, now: 5 });
        for availability in [
            Availability::Available,
            Availability::NoAgentOnline,
            Availability::OutsideOfficeHours,
            Availability::ProviderDown,
            Availability::LinkOnly,
        ] {
            inputs.push(decided(channel, availability));
            inputs.push(decided_asking_email(channel, availability));
        }
    }
    inputs
}

/// Properties that hold for every state and input.
#[test]
fn every_state_and_input() {
    for state in states() {
        for input in inputs() {
            let mut next = state.clone();
            let result = next.handle(input.clone());
            let label = format!("{:?} + {input:?}", state.phase);
            match &result {
                Err(_) => assert_eq!(next, state, "a refusal changes nothing: {label}"),
                Ok(effects) => {
                    // The bot speaks only when it owns the conversation afterwards.
                    if effects
                        .iter()
                        .any(|e| matches!(e, Effect::AskBot { .. } | Effect::Greet | Effect::OfferHandover { .. }))
                    {
                        assert_eq!(next.phase, Phase::Bot, "{label}");
                    }
                    // A phase change is announced exactly when the phase changed.
                    let announced = effects.iter().filter(|e| **e == Effect::PhaseChanged).count();
                    let changed = std::mem::discriminant(&next.phase) != std::mem::discriminant(&state.phase)
                        || next.phase != state.phase;
                    assert_eq!(announced, usize::from(changed), "{label}");
                    // Availability is asked for alone, before anything changes; only a request
                    // for a person asks (a message the bot answers never does).
                    if effects.iter().any(|e| matches!(e, Effect::CheckAvailability { .. })) {
                        assert_eq!(effects.len(), 1, "{label}");
                        assert_eq!(next, state, "{label}");
                        assert!(matches!(state.phase, Phase::Bot | Phase::Ended { .. }), "{label}");
                        let asks = match &input {
                            Input::VisitorMessage { signals, .. } => signals.handover.is_some(),
                            Input::RequestHandover { .. } => true,
                            _ => false,
                        };
                        assert!(asks, "only a request for a person checks availability: {label}");
                    }
                    // While waiting or with an agent the bot never answers.
                    if matches!(state.phase, Phase::Waiting { .. } | Phase::Agent { .. }) {
                        assert!(
                            !effects.iter().any(|e| matches!(e, Effect::AskBot { .. } | Effect::OfferHandover { .. })),
                            "{label}"
                        );
                    }
                }
            }
            // Idempotence: the same input again never changes the phase a second time, except
            // inputs that are meant to repeat (a new question, a new request after a cancel).
            let mut again = next.clone();
            if let Ok(effects) = again.handle(input.clone()) {
                let repeatable = matches!(
                    input,
                    Input::VisitorMessage { .. }
                        | Input::Started
                        | Input::RequestHandover { .. }
                        | Input::AvailabilityKnown { .. }
                        | Input::HandoverDelayed
                );
                if !repeatable {
                    assert!(!effects.contains(&Effect::PhaseChanged), "repeat of {label} changed the phase again");
                }
            }
        }
    }
}

#[test]
fn the_bot_answers_while_it_owns_the_conversation() {
    let mut s = State::default();
    assert_eq!(s.handle(Input::Started), Ok(vec![Effect::Greet]));
    assert_eq!(s.handle(message("hi", Signals::default())), Ok(vec![Effect::AskBot { question: "hi".into() }]));
}

#[test]
fn a_request_with_an_agent_available_waits_with_a_cancel_button() {
    let mut s = State::default();
    let effects = s.handle(decided(Channel::Widget, Availability::Available)).unwrap();
    assert_eq!(
        effects,
        vec![
            Effect::PhaseChanged,
            Effect::StartHandover { reason: Reason::ExplicitRequest },
            Effect::OpenRemote,
            Effect::Say { text: Text::HandoverStarted, cancel_button: true }
        ]
    );
    assert_eq!(s.phase, Phase::Waiting { reason: Reason::ExplicitRequest, since: 5 });
    // Asking again while waiting does nothing.
    assert_eq!(s.handle(decided(Channel::Widget, Availability::Available)), Ok(vec![]));
}

#[test]
fn words_asking_for_a_person_check_availability_then_start_the_handover() {
    let mut s = State::default();
    let effects = s
        .handle(message("human please", Signals { handover: Some(Reason::Frustration), ..Signals::default() }))
        .unwrap();
    let check = Effect::CheckAvailability { reason: Reason::Frustration, channel: Channel::Widget, now: 5 };
    assert_eq!(effects, vec![check]);
    assert_eq!(s, State::default(), "nothing changes before availability is known");
    let answer = Input::AvailabilityKnown {
        reason: Reason::Frustration,
        channel: Channel::Widget,
        availability: Availability::Available,
        ask_email: false,
        now: 5,
    };
    let effects = s.handle(answer).unwrap();
    assert!(effects.contains(&Effect::StartHandover { reason: Reason::Frustration }));
    assert!(!effects.iter().any(|e| matches!(e, Effect::AskBot { .. })));
}

#[test]
fn the_button_checks_availability_only_when_a_handover_can_start() {
    let button = Input::RequestHandover { reason: Reason::ExplicitRequest, channel: Channel::Widget, now: 5 };
    let check = Effect::CheckAvailability { reason: Reason::ExplicitRequest, channel: Channel::Widget, now: 5 };
    for state in states() {
        let mut next = state.clone();
        let effects = next.handle(button.clone()).unwrap();
        match state.phase {
            Phase::Bot | Phase::Ended { .. } => assert_eq!(effects, vec![check.clone()]),
            Phase::Waiting { .. } | Phase::Agent { .. } => assert_eq!(effects, vec![]),
        }
        assert_eq!(next, state);
    }
}

#[test]
fn a_plain_message_never_checks_availability() {
    for state in states() {
        for signals in [
            Signals::default(),
            Signals { cancel: true, ..Signals::default() },
            Signals { email: Some("me@example.com".into()), ..Signals::default() },
            Signals { offer: Some(Reason::Frustration), ..Signals::default() },
        ] {
            let effects = state.clone().handle(message("where is my parcel?", signals)).unwrap();
            assert!(!effects.iter().any(|e| matches!(e, Effect::CheckAvailability { .. })), "{effects:?}");
        }
    }
}

#[test]
fn while_waiting_or_with_an_agent_the_bot_is_silent_and_the_people_get_the_message() {
    for phase in [Phase::Waiting { reason: Reason::Topic, since: 0 }, Phase::Agent { agent: alex() }] {
        let mut s = State { phase: phase.clone(), awaiting_email: false, email_before: None };
        assert_eq!(s.handle(message("hello?", Signals::default())), Ok(vec![Effect::RelayToAgent]));
        assert_eq!(s.phase, phase);
    }
}

#[test]
fn a_link_site_gets_the_link_and_stays_with_the_bot() {
    for channel in [Channel::Widget, Channel::Http] {
        let mut s = State::default();
        assert_eq!(
            s.handle(decided(channel, Availability::LinkOnly)),
            Ok(vec![Effect::Say { text: Text::Link, cancel_button: false }])
        );
        assert_eq!(s, State::default());
    }
}

#[test]
fn the_helpdesk_being_slow_or_refusing_is_told_to_the_visitor() {
    let waiting = || State {
        phase: Phase::Waiting { reason: Reason::ExplicitRequest, since: 0 },
        awaiting_email: false,
        email_before: None,
    };
    let mut s = waiting();
    assert_eq!(
        s.handle(Input::HandoverDelayed),
        Ok(vec![Effect::Say { text: Text::HandoverDelayed, cancel_button: false }])
    );
    assert_eq!(s, waiting(), "still waiting: the outbox keeps trying");
    assert_eq!(
        s.handle(Input::HandoverFailed),
        Ok(vec![Effect::PhaseChanged, Effect::Say { text: Text::Unavailable, cancel_button: false }])
    );
    assert_eq!(
        s,
        State { phase: Phase::Bot, awaiting_email: true, email_before: None },
        "the visitor can leave an email"
    );
    assert_eq!(s.handle(Input::HandoverFailed), Ok(vec![]));
}

#[test]
fn the_helpdesk_closing_its_side_ends_the_chat_or_the_wait() {
    let mut s = State { phase: Phase::Agent { agent: alex() }, awaiting_email: false, email_before: None };
    assert_eq!(
        s.handle(Input::ClosedByHelpdesk),
        Ok(vec![Effect::PhaseChanged, Effect::Say { text: Text::AgentEnded, cancel_button: false }, Effect::AskRating])
    );
    assert_eq!(s.phase, Phase::Ended { agent: alex() });
    let mut s =
        State { phase: Phase::Waiting { reason: Reason::Topic, since: 0 }, awaiting_email: false, email_before: None };
    assert_eq!(
        s.handle(Input::ClosedByHelpdesk),
        Ok(vec![Effect::PhaseChanged, Effect::Say { text: Text::BotBack, cancel_button: false }])
    );
    assert_eq!(s.phase, Phase::Bot);
}

#[test]
fn cancel_by_quick_reply_or_phrase_returns_to_the_bot() {
    for input in [Input::Cancel, message("cancel", Signals { cancel: true, ..Signals::default() })] {
        let mut s = State {
            phase: Phase::Waiting { reason: Reason::ExplicitRequest, since: 0 },
            awaiting_email: false,
            email_before: None,
        };
        let effects = s.handle(input).unwrap();
        assert_eq!(
            effects,
            vec![
                Effect::PhaseChanged,
                Effect::WithdrawHandover,
                Effect::Say { text: Text::Cancelled, cancel_button: false }
            ]
        );
        assert_eq!(s.phase, Phase::Bot);
    }
}

#[test]
fn the_cancel_phrase_with_an_agent_is_an_ordinary_message() {
    let mut s = State { phase: Phase::Agent { agent: alex() }, awaiting_email: false, email_before: None };
    assert_eq!(
        s.handle(message("cancel", Signals { cancel: true, ..Signals::default() })),
        Ok(vec![Effect::RelayToAgent])
    );
    assert_eq!(s.phase, Phase::Agent { agent: alex() });
    assert_eq!(s.handle(Input::Cancel), Err(Refusal::AgentAlreadyJoined));
}

#[test]
fn unavailable_asks_for_an_email_and_saves_a_follow_up() {
    for availability in [Availability::NoAgentOnline, Availability::OutsideOfficeHours, Availability::ProviderDown] {
        let mut s = State::default();
        assert_eq!(
            s.handle(decided(Channel::Widget, availability)),
            Ok(vec![Effect::Say { text: Text::Unavailable, cancel_button: false }])
        );
        assert_eq!(s, State { phase: Phase::Bot, awaiting_email: true, email_before: None });
        let effects =
            s.handle(message("me@example.com", Signals { email: Some("me@example.com".into()), ..Signals::default() }));
        assert_eq!(
            effects,
            Ok(vec![
                Effect::SaveFollowUp { email: "me@example.com".into() },
                Effect::Say { text: Text::FollowUpSaved, cancel_button: false }
            ])
        );
        assert!(!s.awaiting_email);

        // Answered with anything else: the bot takes it and the step is over.
        let mut s = State::default();
        s.handle(decided(Channel::Widget, availability)).unwrap();
        let effects = s.handle(message("ok, what about returns?", Signals::default()));
        assert_eq!(effects, Ok(vec![Effect::AskBot { question: "ok, what about returns?".into() }]));
        assert_eq!(s, State::default(), "not asked again");
    }
}

#[test]
fn the_http_channel_gets_the_unsupported_channel_message() {
    let mut s = State::default();
    assert_eq!(
        s.handle(decided(Channel::Http, Availability::Available)),
        Ok(vec![Effect::Say { text: Text::UnsupportedChannel, cancel_button: false }])
    );
    assert_eq!(s.phase, Phase::Bot);
}

#[test]
fn agent_joins_while_visitor_cancels_first_come_wins() {
    // Cancel first: the agent is refused.
    let mut s = State {
        phase: Phase::Waiting { reason: Reason::ExplicitRequest, since: 0 },
        awaiting_email: false,
        email_before: None,
    };
    s.handle(Input::Cancel).unwrap();
    assert_eq!(s.handle(Input::AgentAccept { agent: alex() }), Err(Refusal::NotWaiting));
    assert_eq!(s.phase, Phase::Bot);
    // Accept first: the cancel is refused.
    let mut s = State {
        phase: Phase::Waiting { reason: Reason::ExplicitRequest, since: 0 },
        awaiting_email: false,
        email_before: None,
    };
    s.handle(Input::AgentAccept { agent: alex() }).unwrap();
    assert_eq!(s.handle(Input::Cancel), Err(Refusal::AgentAlreadyJoined));
    assert_eq!(s.phase, Phase::Agent { agent: alex() });
}

#[test]
fn two_agents_accept_at_once_one_gets_it() {
    let mut s = State {
        phase: Phase::Waiting { reason: Reason::ExplicitRequest, since: 0 },
        awaiting_email: false,
        email_before: None,
    };
    assert_eq!(
        s.handle(Input::AgentAccept { agent: alex() }),
        Ok(vec![Effect::PhaseChanged, Effect::Say { text: Text::AgentJoined, cancel_button: false }])
    );
    assert_eq!(s.handle(Input::AgentAccept { agent: sam() }), Err(Refusal::TakenBy("Alex".into())));
    assert_eq!(s.handle(Input::AgentAccept { agent: alex() }), Ok(vec![]), "a duplicate accept is harmless");
}

#[test]
fn only_the_owner_speaks_types_and_ends() {
    let mut s = State { phase: Phase::Agent { agent: alex() }, awaiting_email: false, email_before: None };
    assert_eq!(s.handle(Input::AgentMessage { agent_id: "a2".into() }), Err(Refusal::NotOwner));
    assert_eq!(s.handle(Input::AgentTyping { agent_id: "a1".into() }), Ok(vec![Effect::RelayAgentTyping]));
    assert_eq!(s.handle(Input::AgentEnd { agent_id: "a2".into() }), Err(Refusal::NotOwner));
    assert_eq!(
        s.handle(Input::AgentEnd { agent_id: "a1".into() }),
        Ok(vec![Effect::PhaseChanged, Effect::Say { text: Text::AgentEnded, cancel_button: false }, Effect::AskRating])
    );
    assert_eq!(s.handle(Input::AgentEnd { agent_id: "a1".into() }), Ok(vec![]), "ending twice is harmless");
    assert_eq!(s.handle(Input::AgentMessage { agent_id: "a1".into() }), Err(Refusal::NotOwner));
}

#[test]
fn after_the_agent_ends_a_rating_or_a_question_brings_the_bot_back() {
    let mut s = State { phase: Phase::Ended { agent: alex() }, awaiting_email: false, email_before: None };
    assert_eq!(s.handle(Input::Rate { score: 9 }), Err(Refusal::BadRating));
    assert_eq!(
        s.handle(Input::Rate { score: 4 }),
        Ok(vec![
            Effect::SaveRating { score: 4 },
            Effect::PhaseChanged,
            Effect::Say { text: Text::Rated, cancel_button: false }
        ])
    );
    assert_eq!(s.phase, Phase::Bot);
    assert_eq!(s.handle(Input::Rate { score: 4 }), Err(Refusal::NothingToRate));

    let mut s = State { phase: Phase::Ended { agent: alex() }, awaiting_email: false, email_before: None };
    assert_eq!(
        s.handle(message("one more thing", Signals::default())),
        Ok(vec![
            Effect::PhaseChanged,
            Effect::Say { text: Text::BotBack, cancel_button: false },
            Effect::AskBot { question: "one more thing".into() }
        ])
    );
}

#[test]
fn state_round_trips_through_its_stored_form() {
    for state in states() {
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<State>(&json).unwrap(), state, "{json}");
    }
    assert_eq!(serde_json::from_str::<State>(r#"{"phase":"bot"}"#).unwrap(), State::default());
}

#[test]
fn asking_for_a_person_right_after_an_agent_chat_changes_phase_once() {
    let mut s = State { phase: Phase::Ended { agent: alex() }, awaiting_email: false, email_before: None };
    let effects = s.handle(decided(Channel::Widget, Availability::Available)).unwrap();
    assert_eq!(effects.iter().filter(|e| **e == Effect::PhaseChanged).count(), 1);
    assert!(matches!(s.phase, Phase::Waiting { .. }));

    let mut s = State { phase: Phase::Ended { agent: alex() }, awaiting_email: false, email_before: None };
    let effects = s.handle(decided(Channel::Widget, Availability::NoAgentOnline)).unwrap();
    assert_eq!(effects, vec![Effect::PhaseChanged, Effect::Say { text: Text::Unavailable, cancel_button: false }]);
    assert_eq!(s, State { phase: Phase::Bot, awaiting_email: true, email_before: None });
}

#[test]
fn a_frustrated_visitor_is_offered_a_person_instead_of_another_answer() {
    let offer = Signals { offer: Some(Reason::Frustration), ..Signals::default() };
    let mut s = State::default();
    assert_eq!(
        s.handle(message("useless!!", offer.clone())),
        Ok(vec![Effect::OfferHandover { reason: Reason::Frustration }])
    );
    assert_eq!(s.phase, Phase::Bot, "an offer is not a handover");
    // A handover signal outranks the offer.
    let both = Signals { handover: Some(Reason::ExplicitRequest), ..offer };
    let effects = s.handle(message("a person, now", both)).unwrap();
    assert!(effects.contains(&Effect::CheckAvailability {
        reason: Reason::ExplicitRequest,
        channel: Channel::Widget,
        now: 5
    }));
}

/// The machine decides and does nothing else: its source imports only serde and names no
/// await, no runtime, no database, no HTTP and no other module of the relay.
#[test]
fn the_machine_does_no_io() {
    let source = include_str!("../machine.rs");
    for line in source.lines().map(str::trim_start).filter(|l| l.starts_with("use ") || l.starts_with("pub use ")) {
        let path = line.trim_start_matches("pub ").trim_start_matches("use ");
        // Its own enums' variants (`use Effect::*`) are fine; any module path but serde's is not.
        let local = path.starts_with(|c: char| c.is_ascii_uppercase());
        assert!(local || path.starts_with("serde"), "machine.rs imports more than serde: {line}");
    }
    // Whole words only (`self.awaiting_email` is not an await, `crate::x` is `crate::`).
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let names = |word: &str| {
        source.match_indices(word).any(|(at, _)| {
            let starts = !word.starts_with(ident) || !source[..at].ends_with(ident);
            let ends = !word.ends_with(ident) || !source[at + word.len()..].starts_with(ident);
            starts && ends
        })
    };
    for word in [".await", "async", "tokio", "sqlx", "reqwest", "axum", "crate::", "std::fs", "std::net"] {
        assert!(!names(word), "machine.rs names {word:?}: the conversation core does no I/O");
    }
}

#[test]
fn a_site_wanting_the_email_asks_before_the_handover_and_the_answer_or_a_skip_starts_it() {
    let started = |reason| {
        vec![
            Effect::PhaseChanged,
            Effect::StartHandover { reason },
            Effect::OpenRemote,
            Effect::Say { text: Text::HandoverStarted, cancel_button: true },
        ]
    };
    let mut s = State::default();
    assert_eq!(s.handle(decided_asking_email(Channel::Widget, Availability::Available)), Ok(vec![Effect::AskEmail]));
    assert_eq!((&s.phase, s.email_before), (&Phase::Bot, Some(Reason::ExplicitRequest)), "nothing started yet");
    let email = Input::Email { email: "ada@example.com".into(), now: 7 };
    let mut expected = vec![Effect::SaveEmail { email: "ada@example.com".into() }];
    expected.extend(started(Reason::ExplicitRequest));
    assert_eq!(s.handle(email.clone()), Ok(expected));
    assert_eq!(s.phase, Phase::Waiting { reason: Reason::ExplicitRequest, since: 7 });
    assert_eq!(s.email_before, None);
    // Changed later: kept, nothing else happens.
    assert_eq!(s.handle(email), Ok(vec![Effect::SaveEmail { email: "ada@example.com".into() }]));

    let mut s = State { email_before: Some(Reason::Frustration), ..State::default() };
    assert_eq!(s.handle(Input::SkipEmail { now: 7 }), Ok(started(Reason::Frustration)));
    assert_eq!(s.handle(Input::SkipEmail { now: 8 }), Ok(vec![]), "a second skip does nothing");

    // Any other message skips it too; a cancel phrase or the cancel withdraws the request.
    let mut s = State { email_before: Some(Reason::ExplicitRequest), ..State::default() };
    assert_eq!(s.handle(message("where is my parcel?", Signals::default())), Ok(started(Reason::ExplicitRequest)));
    for cancel in [Input::Cancel, message("never mind", Signals { cancel: true, ..Signals::default() })] {
        let mut s = State { email_before: Some(Reason::ExplicitRequest), ..State::default() };
        assert_eq!(s.handle(cancel), Ok(vec![Effect::Say { text: Text::Cancelled, cancel_button: false }]));
        assert_eq!(s, State::default());
    }
}

#[test]
fn the_email_is_asked_only_when_a_person_is_available_in_the_widget() {
    for availability in [Availability::NoAgentOnline, Availability::OutsideOfficeHours, Availability::LinkOnly] {
        let mut s = State::default();
        let effects = s.handle(decided_asking_email(Channel::Widget, availability)).unwrap();
        assert!(!effects.contains(&Effect::AskEmail), "{availability:?}: {effects:?}");
        assert_eq!(s.email_before, None);
    }
    let mut s = State::default();
    let effects = s.handle(decided_asking_email(Channel::Http, Availability::Available)).unwrap();
    assert_eq!(effects, vec![Effect::Say { text: Text::UnsupportedChannel, cancel_button: false }]);
}

#[test]
fn an_email_given_at_the_unavailable_step_is_a_follow_up() {
    let mut s = State::default();
    s.handle(decided(Channel::Widget, Availability::NoAgentOnline)).unwrap();
    assert!(s.awaiting_email);
    let effects = s.handle(Input::Email { email: "ada@example.com".into(), now: 6 }).unwrap();
    assert_eq!(
        effects,
        vec![
            Effect::SaveFollowUp { email: "ada@example.com".into() },
            Effect::Say { text: Text::FollowUpSaved, cancel_button: false }
        ]
    );
    assert!(!s.awaiting_email);
    // Declined: not asked again (a reconnecting widget is not shown the prompt).
    let mut s = State { awaiting_email: true, ..State::default() };
    assert_eq!(s.handle(Input::SkipEmail { now: 6 }), Ok(vec![]));
    assert!(!s.awaiting_email);
}
