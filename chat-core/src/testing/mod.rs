//! The conformance suite every [`ChatStore`] backend runs (feature `testing`).
//!
//! A backend crate calls [`chat_store_conformance!`](crate::chat_store_conformance) in its
//! tests with a factory returning a fresh [`TestBackend`]; the macro expands to one
//! `#[tokio::test]` per check, so failures name the rule that broke. Everything goes through
//! the [`Chat`](crate::Chat) facade, as an embedder would, plus the raw store where a test
//! must prove that nothing was written. The `store_*` checks are the exception: they apply
//! hand-built writes to prove the two guarantees the facade's retries rely on (stale
//! preconditions fail closed, no write or scoped read crosses accounts), which no facade
//! call can trigger deterministically.
//!
//! chat-core runs the same suite against a small in-memory reference store (`memory`,
//! tests only), so a check that fails there is a bug in the check or the facade, not in a
//! backend.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod fixtures;
#[cfg(test)]
mod memory;
pub mod model;
pub mod suite;

use std::sync::Arc;

use crate::store::ChatStore;

/// A fresh, empty store plus the fault injection the suite needs.
pub struct TestBackend {
    /// The store under test.
    pub store: Arc<dyn ChatStore>,
    /// Makes every later audit insert fail (`true`) or work again (`false`), so the suite can
    /// prove that an action whose audit entry cannot be written does not happen.
    pub fail_audit: Box<dyn Fn(bool) + Send + Sync>,
}

/// Expands to one `#[tokio::test]` per conformance check, each on a fresh backend from
/// `$factory` (a path to a `fn() -> TestBackend`). The calling crate needs `tokio` with the
/// `macros` and `rt-multi-thread` features as a dev-dependency.
#[macro_export]
macro_rules! chat_store_conformance {
    ($factory:path) => {
        $crate::__conformance_tests! { (flavor = "multi_thread", worker_threads = 2) $factory }
    };
}

/// The list of checks: add new ones here and as `pub async fn name(b: TestBackend)` in
/// `suite`. `$flavor` is the parenthesized argument of `#[tokio::test]`.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($flavor:tt $factory:path) => {
        $crate::__conformance_expand! { $flavor $factory;
            smoke_create_room_send_and_read,
            // Tenant isolation.
            isolation_foreign_ids_are_not_found,
            isolation_same_user_id_in_other_account_sees_nothing,
            isolation_foreign_user_ids_are_invalid,
            isolation_non_members_get_not_found_for_everything,
            // The policy table, driven by `policy::decide`.
            policy_table_account_actions,
            policy_table_room_actions,
            policy_table_member_actions,
            policy_table_message_actions,
            // Audit.
            audit_failure_rolls_back_every_action,
            audit_entries_match_actions,
            audit_listing_filters_and_pages,
            // Messages.
            messages_pagination_under_concurrent_inserts,
            messages_foreign_or_tampered_cursors_are_invalid,
            messages_seq_is_gapless_under_concurrent_senders,
            messages_idempotent_send,
            messages_idempotent_send_concurrent,
            messages_edit_and_soft_delete,
            // Reading around a message, newer pages.
            history_newer_pages_mirror_older_ones,
            history_around_a_message,
            history_around_first_unread,
            history_both_ways_under_concurrent_inserts,
            messages_send_never_outlives_membership,
            // Rooms and DMs.
            rooms_dm_race_creates_one_room,
            rooms_archived_dm_frees_the_pair,
            rooms_list_ordering_and_pagination,
            rooms_managers_view_without_membership,
            rooms_rename_and_archive_effects,
            rooms_remove_and_leave,
            // Unread and mentions.
            unread_own_messages_never_count,
            unread_deleted_and_edited_messages,
            unread_mark_read_middle_and_never_backwards,
            unread_new_member_starts_at_zero,
            unread_totals_agree_with_room_list,
            unread_archived_rooms_vanish,
            unread_mark_read_never_outlives_membership,
            // Entitlements and the directory.
            entitlements_disabled_chat_refuses_enter,
            entitlements_max_rooms,
            entitlements_max_members_per_room,
            entitlements_deactivated_user,
            // Events and subscriptions.
            events_reach_exactly_their_audience,
            events_resume_replays_missed_exactly_once,
            events_resume_seam_under_concurrent_writes,
            events_unknown_since_requires_resync,
            events_removed_member_gets_removal_then_nothing,
            events_replay_after_removal_shows_nothing_of_later_changes,
            events_deactivation_ends_subscriptions,
            events_cover_every_change,
            events_typing_reaches_other_members_throttled,
            events_log_forgets_what_the_api_no_longer_shows,
            events_disabled_chat_and_missed_deactivation_end_subscriptions,
            // Notifications.
            notifications_for_mentions_and_dms,
            notifications_read_and_pagination,
            notifications_are_tenant_scoped,
            // Validation.
            validation_bad_input_writes_nothing,
            // Concurrency: limits and counters under racing writers.
            concurrency_limits_hold,
            concurrency_counters_match_messages,
            // The raw store contract behind the facade's retries.
            store_preconditions_fail_closed,
            store_writes_are_tenant_scoped,
            store_reads_are_scoped,
            store_list_messages_decided_reads_after_the_decision,
            store_room_detail_decided_reads_after_the_decision,
            // v1.1: the directory, every room of the account, the audit's time range.
            directory_search_folds_accents_and_case,
            directory_search_follows_renames,
            directory_pages_without_dup_or_skip,
            directory_is_tenant_scoped,
            directory_inactive_only_for_managers,
            rooms_account_scope_lists_every_team_room,
            audit_time_range_filters,
            audit_service_changes,
            // v1.1: statistics and the audit export.
            stats_store_activity_by_bucket,
            stats_facade_counts_and_isolation,
            audit_export_pages_oldest_first,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_expand {
    ($flavor:tt $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[::tokio::test $flavor]
            async fn $name() {
                $crate::testing::suite::$name($factory()).await;
            }
        )*
    };
}
