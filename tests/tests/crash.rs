//! The relay as a separate process, killed with SIGKILL and started again on the same port and
//! database (tests/src/process.rs): what was acknowledged before the kill is still there after.

use baton_tests::{
    process::RelayProcess,
    test_config,
    widget_client::{as_message, send_text, WidgetClient},
    TestDb,
};
use shared::{Role, ServerFrame};

#[tokio::test]
async fn a_conversation_survives_kill_9_and_a_restart_on_the_same_port() {
    let db = TestDb::new();
    let mut relay = RelayProcess::start(test_config(&db)).await;
    let (mut visitor, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let ServerFrame::Welcome { resume_token, .. } = welcome else { unreachable!() };
    visitor.send(&send_text("m1", "How long does shipping take?")).await;
    let (ack, _) = visitor.until(|f| matches!(f, ServerFrame::Ack { .. })).await;
    assert!(matches!(ack, ServerFrame::Ack { ref client_id, .. } if client_id == "m1"), "{ack:?}");
    visitor.until_message(Role::Bot, "").await;

    relay.kill();
    assert!(relay.pid().is_none());
    let old_port = relay.addr;
    relay.restart().await;
    assert_eq!(relay.addr, old_port);
    assert_eq!(relay.starts, 2);

    // The same token resumes the same conversation with everything stored before the kill.
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), Some(&resume_token), 0).await;
    let mut seen = Vec::new();
    while !seen.iter().any(|m: &shared::Message| m.author.role == Role::Visitor) {
        if let Some(message) = as_message(&visitor.next().await) {
            seen.push(message.clone());
        }
    }
    assert_eq!(seen.last().unwrap().text, "How long does shipping take?", "{seen:?}");
    assert!(relay.log().contains("listening"), "the relay's output is kept: {}", relay.log());
}

// ---------------------------------------------------------------------------------------------
// The invariant: SIGKILL at random points of a scripted conversation loses and duplicates
// nothing that was acknowledged.

mod kill9 {
    use std::{
        sync::{Arc, Mutex},
        time::{Duration, Instant},
    };

    use baton_tests::{
        process::RelayProcess,
        sim::intercom::{self, Intercom},
        test_config,
        widget_client::Socket,
        TestDb,
    };
    use futures_util::{SinkExt, StreamExt};
    use relay::config::AgentConfig;
    use serde_json::{json, Value};
    use shared::{ClientFrame, ConversationEvent, EventBody, Phase, Role, ServerFrame, PROTOCOL_VERSION};
    use tokio_tungstenite::tungstenite::Message as WsMessage;

    /// Visitors per site: the built-in inbox ("demo") and Intercom ("desk").
    const VISITORS_PER_SITE: usize = 2;
    /// Messages each visitor writes after asking for a person (plus one to the bot before).
    const VISITOR_MESSAGES: usize = 12;
    /// Messages each agent (built-in, or in Intercom) writes to its visitor.
    const AGENT_MESSAGES: usize = 6;
    /// SIGKILLs during the run.
    const KILLS: usize = 10;
    /// How long a script waits for one thing (a relay restart, an acknowledgement).
    const PATIENCE: Duration = Duration::from_secs(30);

    /// SplitMix64: a seeded schedule that prints and repeats.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn millis(&mut self, low: u64, high: u64) -> Duration {
            Duration::from_millis(low + self.next() % (high - low))
        }

        fn fork(&mut self) -> Rng {
            Rng(self.next())
        }
    }

    /// One message and whether its sender got the acknowledgement.
    #[derive(Debug, Clone)]
    struct Sent {
        text: String,
        acked: bool,
    }

    /// What every party sent, per visitor (index into the visitors).
    #[derive(Default)]
    struct Ledger {
        /// Visitor → agent or helpdesk.
        from_visitor: Vec<Vec<Sent>>,
        /// Built-in agent → visitor.
        from_agent: Vec<Vec<Sent>>,
        /// Intercom agent (signed webhooks) → visitor.
        from_helpdesk: Vec<Vec<Sent>>,
        /// Each visitor's conversation and resume token, once known.
        conversations: Vec<Option<(String, String)>>,
    }

    type Shared = Arc<Mutex<Ledger>>;

    fn record(list: &mut [Vec<Sent>], visitor: usize, text: &str) -> usize {
        list[visitor].push(Sent { text: text.to_string(), acked: false });
        list[visitor].len() - 1
    }

    /// A widget that survives the relay: reconnects with its resume token and last seq, and
    /// sends every unacknowledged message again with the same client id (as the real widget).
    struct Widget {
        index: usize,
        site: &'static str,
        ws_url: String,
        socket: Option<Socket>,
        token: Option<String>,
        last_seq: u64,
        phase: Phase,
        /// (client id, text, index in the ledger)
        unacked: Vec<(String, String, usize)>,
        ledger: Shared,
    }

    impl Widget {
        async fn hello(&mut self) -> Option<Socket> {
            let connect = tokio_tungstenite::connect_async(&self.ws_url);
            let (mut socket, _) = tokio::time::timeout(Duration::from_secs(2), connect).await.ok()?.ok()?;
            let hello = ClientFrame::Hello {
                v: PROTOCOL_VERSION,
                site: self.site.into(),
                resume: self.token.clone(),
                last_seq: self.last_seq,
                visitor: None,
                languages: Vec::new(),
            };
            socket.send(WsMessage::Text(serde_json::to_string(&hello).ok()?.into())).await.ok()?;
            let welcome = tokio::time::timeout(Duration::from_secs(2), socket.next()).await.ok()??.ok()?;
            let WsMessage::Text(text) = welcome else { return None };
            let ServerFrame::Welcome { conversation_id, resume_token, .. } =
                serde_json::from_str(text.as_str()).ok()?
            else {
                return None;
            };
            self.ledger.lock().unwrap().conversations[self.index] = Some((conversation_id, resume_token.clone()));
            self.token = Some(resume_token);
            Some(socket)
        }

        /// Connected, with every unacknowledged message sent again.
        async fn ensure(&mut self) {
            let deadline = Instant::now() + PATIENCE;
            while self.socket.is_none() {
                assert!(Instant::now() < deadline, "visitor {} could not reconnect", self.index);
                if let Some(mut socket) = self.hello().await {
                    let mut sent = true;
                    for (client_id, text, _) in &self.unacked {
                        let frame =
                            ClientFrame::Send { client_id: client_id.clone(), text: text.clone(), attachments: vec![] };
                        let frame = serde_json::to_string(&frame).unwrap();
                        if socket.send(WsMessage::Text(frame.into())).await.is_err() {
                            sent = false;
                            break;
                        }
                    }
                    if sent {
                        self.socket = Some(socket);
                        continue;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }

        async fn send(&mut self, frame: &ClientFrame) {
            self.ensure().await;
            let text = serde_json::to_string(frame).unwrap();
            if self.socket.as_mut().unwrap().send(WsMessage::Text(text.into())).await.is_err() {
                self.socket = None;
            }
        }

        async fn say(&mut self, client_id: String, text: String) {
            let at = record(&mut self.ledger.lock().unwrap().from_visitor, self.index, &text);
            self.unacked.push((client_id.clone(), text.clone(), at));
            self.send(&ClientFrame::Send { client_id, text, attachments: vec![] }).await;
        }

        fn on_frame(&mut self, frame: ServerFrame) {
            match frame {
                ServerFrame::Event(event) => {
                    self.last_seq = self.last_seq.max(event.seq);
                    if let EventBody::Phase(change) = event.body {
                        self.phase = change.phase;
                    }
                }
                ServerFrame::Ack { client_id, .. } => {
                    if let Some(at) = self.unacked.iter().position(|(id, _, _)| *id == client_id) {
                        let (_, _, index) = self.unacked.remove(at);
                        self.ledger.lock().unwrap().from_visitor[self.index][index].acked = true;
                    }
                }
                _ => {}
            }
        }

        /// Reads frames for `time`, reconnecting when the relay goes away.
        async fn pump(&mut self, time: Duration) {
            let deadline = tokio::time::Instant::now() + time;
            loop {
                self.ensure().await;
                let socket = self.socket.as_mut().unwrap();
                match tokio::time::timeout_at(deadline, socket.next()).await {
                    Err(_) => return,
                    Ok(Some(Ok(WsMessage::Text(text)))) => {
                        if let Ok(frame) = serde_json::from_str(text.as_str()) {
                            self.on_frame(frame);
                        }
                    }
                    Ok(Some(Ok(WsMessage::Close(_))) | None | Some(Err(_))) => self.socket = None,
                    Ok(Some(Ok(_))) => {}
                }
            }
        }

        async fn until(&mut self, done: impl Fn(&Self) -> bool) -> bool {
            let deadline = Instant::now() + PATIENCE;
            while !done(self) {
                if Instant::now() > deadline {
                    return false;
                }
                self.pump(Duration::from_millis(100)).await;
            }
            true
        }
    }

    async fn visitor_script(mut widget: Widget, mut rng: Rng) {
        let i = widget.index;
        widget.ensure().await;
        widget.say(format!("v{i}-q"), format!("v{i}: how long does shipping take?")).await;
        assert!(widget.until(|w| w.unacked.is_empty()).await, "visitor {i}: first message never acknowledged");
        // The button, again if a kill swallowed it (or nobody was online right after a restart).
        loop {
            widget.send(&ClientFrame::RequestHandover).await;
            let deadline = Instant::now() + Duration::from_secs(3);
            if widget.until(|w| w.phase != Phase::Bot || Instant::now() > deadline).await && widget.phase != Phase::Bot
            {
                break;
            }
        }
        for k in 1..=VISITOR_MESSAGES {
            widget.pump(rng.millis(200, 600)).await;
            widget.say(format!("v{i}-m{k}"), format!("v{i} says {k}.")).await;
        }
        assert!(widget.until(|w| w.unacked.is_empty()).await, "visitor {i}: messages never acknowledged");
        widget.pump(Duration::from_millis(300)).await;
    }

    fn http() -> reqwest::Client {
        reqwest::Client::builder().timeout(Duration::from_secs(3)).build().unwrap()
    }

    async fn conversation_of(ledger: &Shared, visitor: usize) -> String {
        loop {
            if let Some((id, _)) = ledger.lock().unwrap().conversations[visitor].clone() {
                return id;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Keeps an agent's live socket open across restarts, so the agent counts as online.
    async fn stay_online(base_ws: String, token: String) {
        loop {
            if let Ok((mut socket, _)) = tokio_tungstenite::connect_async(format!("{base_ws}/agent/ws")).await {
                let auth = json!({"type": "auth", "token": token}).to_string();
                if socket.send(WsMessage::Text(auth.into())).await.is_ok() {
                    while let Some(Ok(_)) = socket.next().await {}
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A built-in agent: accepts its visitor's conversation, then writes to it.
    async fn agent_script(base: String, agent: usize, visitor: usize, ledger: Shared, mut rng: Rng) {
        let (http, token, me) = (http(), format!("agent-token-{agent}"), format!("agent{agent}"));
        let conversation = conversation_of(&ledger, visitor).await;
        let url = format!("{base}/agent/api/conversations/{conversation}");
        let deadline = Instant::now() + PATIENCE * 2;
        loop {
            assert!(Instant::now() < deadline, "agent {agent} never got conversation {conversation}");
            if let Ok(response) = http.get(&url).bearer_auth(&token).send().await {
                let view: Value = response.json().await.unwrap_or_default();
                if view["conversation"]["agent"]["id"] == me {
                    break;
                }
                if view["conversation"]["phase"] == "waiting" {
                    let _ = http.post(format!("{url}/accept")).bearer_auth(&token).send().await;
                }
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        for k in 1..=AGENT_MESSAGES {
            tokio::time::sleep(rng.millis(300, 900)).await;
            let text = format!("agent{agent} to v{visitor}: reply {k}.");
            let at = record(&mut ledger.lock().unwrap().from_agent, visitor, &text);
            // No retry: the agent API has no idempotency key, so only the first try counts.
            let sent =
                http.post(format!("{url}/messages")).bearer_auth(&token).json(&json!({"text": text})).send().await;
            if sent.is_ok_and(|r| r.status().as_u16() == 201) {
                ledger.lock().unwrap().from_agent[visitor][at].acked = true;
            }
        }
    }

    /// The Intercom conversations of Baton's conversation `id` (through its contact), in order.
    fn remote_conversations(sim: &Intercom, id: &str) -> Vec<(String, Vec<Value>)> {
        let inner = sim.inner.lock().unwrap();
        let contacts: Vec<Value> = inner
            .contacts
            .iter()
            .filter(|c| c["external_id"] == format!("baton-{id}"))
            .map(|c| c["id"].clone())
            .collect();
        inner
            .conversations
            .iter()
            .filter(|(_, parts)| parts.first().is_some_and(|p| contacts.contains(&p["author"]["id"])))
            .cloned()
            .collect()
    }

    /// An Intercom agent replying to its visitor: signed webhooks, delivered again (the same
    /// delivery) until the relay answers 2xx, as Intercom does.
    async fn helpdesk_script(hook: String, sim: Intercom, visitor: usize, ledger: Shared, mut rng: Rng) {
        let conversation = conversation_of(&ledger, visitor).await;
        let http = http();
        for k in 1..=AGENT_MESSAGES {
            tokio::time::sleep(rng.millis(300, 900)).await;
            let deadline = Instant::now() + PATIENCE * 2;
            let remote = loop {
                if let Some((remote, _)) = remote_conversations(&sim, &conversation).pop() {
                    break remote;
                }
                assert!(Instant::now() < deadline, "visitor {visitor}'s handover never reached Intercom");
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            let text = format!("intercom to v{visitor}: reply {k}.");
            let part = json!({"type": "conversation_part", "id": format!("kill9-{visitor}-{k}"), "part_type": "comment",
                              "body": format!("<p>{text}</p>"), "created_at": 0,
                              "author": {"type": "admin", "id": intercom::AGENT_ADMIN, "name": "Ciaran Lee"}});
            let delivery = Intercom::webhook("conversation.admin.replied", &remote, part);
            let at = record(&mut ledger.lock().unwrap().from_helpdesk, visitor, &text);
            let deadline = Instant::now() + PATIENCE;
            while Instant::now() < deadline {
                let answer = delivery.request(&http, &hook).send().await;
                if answer.is_ok_and(|r| r.status().is_success()) {
                    ledger.lock().unwrap().from_helpdesk[visitor][at].acked = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        }
    }

    /// Everything stored in a conversation, read as a widget that saw nothing yet.
    async fn transcript(ws_url: &str, site: &str, token: &str) -> Vec<ConversationEvent> {
        let (mut socket, _) = tokio_tungstenite::connect_async(ws_url).await.expect("connect for the transcript");
        let hello = ClientFrame::Hello {
            v: PROTOCOL_VERSION,
            site: site.into(),
            resume: Some(token.into()),
            last_seq: 0,
            visitor: None,
            languages: Vec::new(),
        };
        socket.send(WsMessage::Text(serde_json::to_string(&hello).unwrap().into())).await.unwrap();
        let mut last = None;
        let mut events = Vec::new();
        while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(3), socket.next()).await {
            let WsMessage::Text(text) = message else { continue };
            match serde_json::from_str(text.as_str()) {
                Ok(ServerFrame::Welcome { last_seq, .. }) => last = Some(last_seq),
                Ok(ServerFrame::Event(event)) => {
                    let seq = event.seq;
                    events.push(event);
                    if Some(seq) >= last {
                        break;
                    }
                }
                _ => {}
            }
        }
        events
    }

    /// Sent, acknowledged, delivered (at least once), lost (acknowledged, never delivered),
    /// duplicated (delivered more than once) and out of order (acknowledged ones).
    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
    struct Tally {
        sent: usize,
        acked: usize,
        delivered: usize,
        lost: usize,
        duplicated: usize,
        out_of_order: usize,
    }

    impl Tally {
        /// `found(text)` gives the positions where a message was delivered.
        fn add(&mut self, sent: &[Sent], found: impl Fn(&str) -> Vec<(usize, usize)>) -> Vec<String> {
            let mut problems = Vec::new();
            let mut last = None;
            for message in sent {
                let places = found(&message.text);
                self.sent += 1;
                self.acked += usize::from(message.acked);
                self.delivered += usize::from(!places.is_empty());
                if places.len() > 1 {
                    self.duplicated += 1;
                    problems.push(format!("duplicated {places:?}: {}", message.text));
                }
                if message.acked && places.is_empty() {
                    self.lost += 1;
                    problems.push(format!("lost: {}", message.text));
                }
                if let (true, Some(first)) = (message.acked, places.first().copied()) {
                    if last.is_some_and(|last| first < last) {
                        self.out_of_order += 1;
                        problems.push(format!("out of order: {}", message.text));
                    }
                    last = Some(first);
                }
            }
            problems
        }

        fn clean(&self) -> bool {
            self.lost == 0 && self.duplicated == 0 && self.out_of_order == 0
        }
    }

    struct Report {
        visitors: Tally,
        agents: Tally,
        helpdesk: Tally,
        problems: Vec<String>,
    }

    async fn report(relay: &RelayProcess, sim: &Intercom, ledger: &Shared, sites: &[&'static str]) -> Report {
        let mut report = Report {
            visitors: Tally::default(),
            agents: Tally::default(),
            helpdesk: Tally::default(),
            problems: Vec::new(),
        };
        let (from_visitor, from_agent, from_helpdesk, conversations) = {
            let l = ledger.lock().unwrap();
            (l.from_visitor.clone(), l.from_agent.clone(), l.from_helpdesk.clone(), l.conversations.clone())
        };
        for (visitor, site) in sites.iter().enumerate() {
            let Some((id, token)) = conversations[visitor].clone() else { continue };
            let events = transcript(&relay.ws_url(), site, &token).await;
            let in_transcript = |role: Role| {
                let events = events.clone();
                move |text: &str| -> Vec<(usize, usize)> {
                    events
                        .iter()
                        .filter(|e| {
                            matches!(&e.body, EventBody::Message(m) if m.author.role == role && m.text.contains(text))
                        })
                        .map(|e| (0, e.seq as usize))
                        .collect()
                }
            };
            let problems = if *site == "desk" {
                // At Intercom: the message before the handover opens the conversation; the
                // later ones are replies as the visitor.
                let remote = remote_conversations(sim, &id);
                report.visitors.add(&from_visitor[visitor], |text| {
                    let mut places = Vec::new();
                    for (c, (_, parts)) in remote.iter().enumerate() {
                        for (p, part) in parts.iter().enumerate() {
                            let opens = p == 0 && part["part_type"] == "open";
                            let reply = part["type"] == "user" && part["message_type"] == "comment";
                            if (opens || reply) && part["body"] == text {
                                places.push((c, p));
                            }
                        }
                    }
                    places
                })
            } else {
                report.visitors.add(&from_visitor[visitor], in_transcript(Role::Visitor))
            };
            report.problems.extend(problems.into_iter().map(|p| format!("visitor {visitor} ({site}) → {p}")));
            let problems = report.agents.add(&from_agent[visitor], in_transcript(Role::Agent));
            report.problems.extend(problems.into_iter().map(|p| format!("agent → visitor {visitor}: {p}")));
            let problems = report.helpdesk.add(&from_helpdesk[visitor], in_transcript(Role::Agent));
            report.problems.extend(problems.into_iter().map(|p| format!("intercom → visitor {visitor}: {p}")));
        }
        report
    }

    /// The relay's warnings and errors (the last 80), to see what a failed run went through.
    fn print_notable(log: &str) {
        let notable: Vec<&str> = log.lines().filter(|l| l.contains("WARN") || l.contains("ERROR")).collect();
        println!("relay log, warnings and errors:\n{}", notable[notable.len().saturating_sub(80)..].join("\n"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sigkill_at_random_points_loses_and_duplicates_nothing_acknowledged() {
        let seed = std::env::var("KILL9_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
        });
        println!("kill -9 test seed: {seed} (KILL9_SEED={seed} repeats the schedule)");
        let started = Instant::now();
        let mut rng = Rng(seed);
        let sim = Intercom::start().await;
        let db = TestDb::new();
        let mut config = test_config(&db);
        config.agents = (0..VISITORS_PER_SITE)
            .map(|a| AgentConfig {
                id: format!("agent{a}"),
                name: format!("Agent {a}"),
                token: format!("agent-token-{a}"),
                sites: vec![relay::config::ALL_SITES.into()],
            })
            .collect();
        let mut desk = config.sites["demo"].clone();
        baton_tests::helpdesks::configure(&mut desk, &baton_tests::helpdesks::Helpdesk::settings(&sim));
        config.sites.insert("desk".into(), desk);
        let mut relay = RelayProcess::start(config).await;

        let sites: Vec<&'static str> =
            (0..VISITORS_PER_SITE).map(|_| "demo").chain((0..VISITORS_PER_SITE).map(|_| "desk")).collect();
        let ledger: Shared = Arc::new(Mutex::new(Ledger {
            from_visitor: vec![Vec::new(); sites.len()],
            from_agent: vec![Vec::new(); sites.len()],
            from_helpdesk: vec![Vec::new(); sites.len()],
            conversations: vec![None; sites.len()],
        }));
        let mut background = Vec::new();
        for a in 0..VISITORS_PER_SITE {
            background.push(tokio::spawn(stay_online(relay.ws_base(), format!("agent-token-{a}"))));
        }
        let mut scripts = Vec::new();
        for (index, site) in sites.iter().enumerate() {
            let widget = Widget {
                index,
                site,
                ws_url: relay.ws_url(),
                socket: None,
                token: None,
                last_seq: 0,
                phase: Phase::Bot,
                unacked: Vec::new(),
                ledger: ledger.clone(),
            };
            scripts.push(tokio::spawn(visitor_script(widget, rng.fork())));
            if *site == "demo" {
                scripts.push(tokio::spawn(agent_script(relay.http_url(), index, index, ledger.clone(), rng.fork())));
            } else {
                let hook = format!("{}/webhooks/intercom/desk", relay.http_url());
                scripts.push(tokio::spawn(helpdesk_script(hook, sim.clone(), index, ledger.clone(), rng.fork())));
            }
        }

        // The killer: SIGKILL at random moments while the scripts run, restart at once.
        let mut kills = 0;
        while kills < KILLS && !scripts.iter().all(|s| s.is_finished()) {
            tokio::time::sleep(rng.millis(300, 1500)).await;
            relay.kill();
            kills += 1;
            let down = Instant::now();
            relay.restart().await;
            println!(
                "kill #{kills} at {:.1} s; back in {} ms",
                started.elapsed().as_secs_f64(),
                down.elapsed().as_millis()
            );
        }
        let mut failed = Vec::new();
        for script in scripts {
            if let Err(error) = script.await {
                failed.push(error.to_string());
            }
        }
        if !failed.is_empty() {
            print_notable(&relay.log());
            panic!("seed {seed}: scripts failed: {failed:?}");
        }

        // Deliveries still under way (outbox retries, webhook events) settle; then the count.
        let settle = Instant::now();
        let report = loop {
            let report = report(&relay, &sim, &ledger, &sites).await;
            let clean = report.visitors.clean() && report.agents.clean() && report.helpdesk.clean();
            if clean || settle.elapsed() > Duration::from_secs(20) {
                break report;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        for task in background {
            task.abort();
        }
        println!("direction                 sent  acked  delivered  lost  duplicated  out-of-order");
        for (name, t) in [
            ("visitor → agent/helpdesk", report.visitors),
            ("agent → visitor", report.agents),
            ("helpdesk → visitor", report.helpdesk),
        ] {
            println!(
                "{name:<24} {:>5} {:>6} {:>10} {:>5} {:>11} {:>13}",
                t.sent, t.acked, t.delivered, t.lost, t.duplicated, t.out_of_order
            );
        }
        println!("{kills} kills in {:.1} s (seed {seed})", started.elapsed().as_secs_f64());
        let log = relay.log();
        for (what, needle) in [
            ("visitor messages redone after a kill", "a stop left undone"),
            ("partly handled before a kill", "partly handled"),
            ("webhook events retried", "webhook event not applied yet"),
            ("helpdesk calls retried", "helpdesk call failed; retrying"),
            ("forwards cut short that had landed", "a forward cut short by a stop had landed"),
            ("handovers cut short, opened at start", "a stop cut a handover short"),
        ] {
            println!("  relay log: {what}: {}", log.matches(needle).count());
        }
        if !report.problems.is_empty() {
            print_notable(&relay.log());
        }
        assert!(report.problems.is_empty(), "seed {seed}: {:#?}", report.problems);
        assert!(report.visitors.acked > 0 && report.agents.acked > 0 && report.helpdesk.acked > 0);
    }
}
