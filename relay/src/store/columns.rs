//! How the store keeps the relay's enums: each one is a TEXT column holding a fixed lower-case
//! name (the serde name), checked twice: by the schema (a CHECK constraint in the migration)
//! and by the decoder here, which refuses a name it does not know. The trait methods take and
//! return these enums, never their names.
//!
//! The mapping is generic over the database: every backend whose `str` is a SQL type (SQLite's
//! TEXT, PostgreSQL's TEXT) binds and reads these types the same way, so a second backend needs
//! no mapping of its own. (sqlx's `derive(Type)` would tie PostgreSQL to a named enum type and
//! must sit on each enum's definition; these enums belong to other modules.)

use serde::{de::value::StrDeserializer, de::DeserializeOwned, Deserialize, Serialize};
use sqlx::{
    decode::Decode,
    encode::{Encode, IsNull},
    error::BoxDynError,
    Database, Type,
};

use crate::connectors::ProviderKind;
use crate::event::{Channel, Phase, Reason};

/// An enum kept as a TEXT column under a fixed name.
pub trait TextColumn: Copy + DeserializeOwned + 'static {
    /// The name stored (the serde name).
    fn column_name(self) -> &'static str;

    /// The value stored as `name`, if there is one.
    fn from_column(name: &str) -> Option<Self> {
        Self::deserialize(StrDeserializer::<serde::de::value::Error>::new(name)).ok()
    }
}

/// The state of an outbox job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Not carried out yet (due, or waiting for its retry).
    Pending,
    /// The helpdesk took it.
    Done,
    /// Given up.
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }
}

/// The `T` stored as `name` in `column`, or the decoding error sqlx gives for it.
pub(super) fn parse<T: TextColumn>(column: &str, name: &str) -> sqlx::Result<T> {
    T::from_column(name).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: UnknownName { kind: std::any::type_name::<T>(), name: name.to_string() }.into(),
    })
}

/// A stored name no [`TextColumn`] value has.
#[derive(Debug, thiserror::Error)]
#[error("unknown {kind} {name:?} in the database")]
pub struct UnknownName {
    kind: &'static str,
    name: String,
}

/// [`TextColumn`] with the name each value has, and sqlx's `Type`, `Encode` and `Decode`, for
/// any database where a `str` is a column type.
macro_rules! text_columns {
    ($($ty:ty => $name:path),+ $(,)?) => {$(
        impl TextColumn for $ty {
            fn column_name(self) -> &'static str {
                $name(self)
            }
        }

        impl<DB: Database> Type<DB> for $ty
        where
            str: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $ty
        where
            &'q str: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
                <&'q str as Encode<'q, DB>>::encode(self.column_name(), buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $ty
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let name = <&'r str as Decode<'r, DB>>::decode(value)?;
                <$ty as TextColumn>::from_column(name)
                    .ok_or_else(|| UnknownName { kind: stringify!($ty), name: name.to_string() }.into())
            }
        }
    )+};
}

text_columns!(
    Phase => Phase::as_str,
    Reason => Reason::as_str,
    Channel => Channel::as_str,
    JobState => JobState::as_str,
    ProviderKind => ProviderKind::name,
);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: TextColumn + PartialEq + std::fmt::Debug + Serialize>(all: &[T]) {
        for &value in all {
            assert_eq!(T::from_column(value.column_name()), Some(value));
            assert_eq!(serde_json::to_value(value).unwrap(), serde_json::json!(value.column_name()));
        }
        assert_eq!(T::from_column("no such name"), None);
    }

    #[test]
    fn every_name_reads_back_as_its_value() {
        round_trips(&Phase::ALL);
        round_trips(&Reason::ALL);
        round_trips(&Channel::ALL);
        round_trips(&[JobState::Pending, JobState::Done, JobState::Failed]);
        round_trips(ProviderKind::ALL);
    }
}
