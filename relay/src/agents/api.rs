//! The agent REST API under `/agent/api`, authenticated with `Authorization: Bearer <token>`.
//! Documented in `docs/agent-api.md`.

use axum::{
    extract::{FromRequest, FromRequestParts, Path, Query, Request, State},
    http::{header::AUTHORIZATION, request::Parts, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::json;

use super::{
    desk::{self, DeskError, INBOX_PHASES},
    SignedIn,
};
use crate::{
    conversation::{AgentAction, ConversationError, Refusal},
    event::Phase,
    state::AppState,
    wire,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/agent/api/me", get(me))
        .route("/agent/api/conversations", get(list))
        .route("/agent/api/conversations/{id}", get(conversation))
        .route("/agent/api/conversations/{id}/accept", post(accept))
        .route("/agent/api/conversations/{id}/messages", post(send))
        .route("/agent/api/conversations/{id}/typing", post(typing))
        .route("/agent/api/conversations/{id}/end", post(end))
        .route("/agent/api/follow-ups", get(follow_ups))
}

/// The error of the agent API: a status and a stable code, with internal causes logged.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or unknown agent token")]
    Unauthorized,
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Desk(#[from] DeskError),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::BadRequest(_) => (StatusCode::UNPROCESSABLE_ENTITY, "bad_request"),
            Self::Desk(DeskError::NotFound(_)) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Desk(DeskError::Conversation(ConversationError::Refused(refusal))) => match refusal {
                Refusal::TakenBy(_) => (StatusCode::CONFLICT, "taken"),
                Refusal::NotWaiting => (StatusCode::CONFLICT, "not_waiting"),
                Refusal::NotOwner => (StatusCode::FORBIDDEN, "not_owner"),
                _ => (StatusCode::CONFLICT, "refused"),
            },
            Self::Desk(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        crate::web::api_error(status, code, &self, "agent API", "internal error; see the relay log")
    }
}

/// The signed-in agent, from the bearer token.
pub struct Agent(pub SignedIn);

impl FromRequestParts<AppState> for Agent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        state.agents.authenticate(token.trim()).map(Agent).ok_or(ApiError::Unauthorized)
    }
}

/// A JSON request body; one that cannot be read is answered as `bad_request`.
struct Body<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(body) =
            Json::<T>::from_request(request, state).await.map_err(|e| ApiError::BadRequest(e.body_text()))?;
        Ok(Self(body))
    }
}

async fn me(Agent(me): Agent) -> Json<serde_json::Value> {
    Json(json!({ "id": me.agent.id, "name": me.agent.name, "sites": &*me.sites }))
}

#[derive(Deserialize)]
struct ListQuery {
    /// Comma-separated phases; default waiting, agent, ended.
    phase: Option<String>,
}

async fn list(
    Agent(agent): Agent,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let phases: Vec<Phase> = match &query.phase {
        Some(p) => p
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| Phase::named(p).ok_or_else(|| ApiError::BadRequest(format!("unknown phase {p:?}"))))
            .collect::<Result<_, _>>()?,
        None => INBOX_PHASES.to_vec(),
    };
    Ok(Json(desk::list(&state, &agent, &phases).await?).into_response())
}

async fn conversation(
    Agent(agent): Agent,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let conversation = desk::get(&state, &agent, &id).await?;
    let events = wire::events(desk::transcript(&state, &agent, &id).await?, &state.attachments);
    Ok(Json(json!({ "conversation": conversation, "events": events })).into_response())
}

async fn accept(
    Agent(agent): Agent,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    desk::act(&state, &agent, &id, AgentAction::Accept).await?;
    Ok(Json(desk::get(&state, &agent, &id).await?).into_response())
}

#[derive(Deserialize)]
struct SendBody {
    #[serde(default)]
    text: String,
    /// Files uploaded for this conversation.
    #[serde(default)]
    attachments: Vec<String>,
}

async fn send(
    Agent(agent): Agent,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<SendBody>,
) -> Result<Response, ApiError> {
    let message = desk::message(&state, &id, &body.text, &body.attachments).await.map_err(ApiError::BadRequest)?;
    let seq = desk::act(&state, &agent, &id, message).await?;
    Ok((StatusCode::CREATED, Json(json!({ "seq": seq }))).into_response())
}

#[derive(Deserialize)]
struct TypingBody {
    on: bool,
}

async fn typing(
    Agent(agent): Agent,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<TypingBody>,
) -> Result<Response, ApiError> {
    desk::act(&state, &agent, &id, AgentAction::Typing { on: body.on }).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn end(Agent(agent): Agent, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    desk::act(&state, &agent, &id, AgentAction::End).await?;
    Ok(Json(desk::get(&state, &agent, &id).await?).into_response())
}

async fn follow_ups(Agent(agent): Agent, State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(desk::follow_ups(&state, &agent).await?).into_response())
}
