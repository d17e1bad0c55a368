//! v1.1: the directory (search, paging, inactive users, isolation), every team room of the
//! account for managers, and the audit log's time range.

use std::collections::HashSet;

use crate::chat::Identity;
use crate::ids::{AccountId, Timestamp, UserId};
use crate::model::{AccountRole, DirectoryEntry};
use crate::store::AuditFilter;
use crate::testing::fixtures::{
    dm_with, forbidden, invalid, next_ms, not_found, text, world, World,
};
use crate::testing::TestBackend;

/// Brazilian names provisioned in `account` as users `base`+1…
const NAMES: &[&str] = &[
    "João Pereira",
    "Maria João Silva",
    "Conceição Alves",
    "Ângela Souza",
    "Íris Conceição",
    "ANA PAULA",
    "Anabela Castro",
    "joão",
];

async fn provision_names(w: &World, account: AccountId, base: i64) {
    for (i, name) in NAMES.iter().enumerate() {
        w.chat
            .provision_user(
                account,
                UserId(base + i as i64 + 1),
                Some(name),
                AccountRole::Agent,
                true,
            )
            .await
            .unwrap();
    }
}

async fn names(w: &World, account: AccountId, q: &str) -> Vec<String> {
    let actor = crate::chat::Actor::unchecked(account, UserId(11), AccountRole::Agent);
    let page = w
        .chat
        .list_users(&actor, Some(q), false, None, Some(100))
        .await
        .unwrap();
    page.items.into_iter().filter_map(|e| e.name).collect()
}

/// `q` matches the start of any word of the name, accent- and case-insensitively, and the
/// results are sorted by the folded name then user id.
pub async fn directory_search_folds_accents_and_case(b: TestBackend) {
    let w = world(b).await;
    provision_names(&w, w.a.admin.account(), 100).await;
    let a = w.a.admin.account();
    for q in ["joao", "JOÃO", "João", "jOa"] {
        assert_eq!(
            names(&w, a, q).await,
            vec!["joão", "João Pereira", "Maria João Silva"],
            "q={q}"
        );
    }
    assert_eq!(
        names(&w, a, "conceicao").await,
        vec!["Conceição Alves", "Íris Conceição"]
    );
    assert_eq!(names(&w, a, "CONCEIÇÃO AL").await, vec!["Conceição Alves"]);
    assert_eq!(names(&w, a, "angela").await, vec!["Ângela Souza"]);
    assert_eq!(names(&w, a, "iris").await, vec!["Íris Conceição"]);
    assert_eq!(
        names(&w, a, "ana").await,
        vec!["ANA PAULA", "Anabela Castro"]
    );
    assert_eq!(names(&w, a, "joao silva").await, vec!["Maria João Silva"]);
    // The start of a word, not its middle.
    assert!(names(&w, a, "ao").await.is_empty());
    assert!(names(&w, a, "ereira").await.is_empty());
    assert!(names(&w, a, "--").await.is_empty());

    // The whole list is sorted by folded name, then id.
    let actor = crate::chat::Actor::unchecked(a, UserId(11), AccountRole::Agent);
    let all = w
        .chat
        .list_users(&actor, None, false, None, Some(100))
        .await
        .unwrap()
        .items;
    let keys: Vec<(String, UserId)> = all
        .iter()
        .map(|e| (crate::fold::sort_key(e.name.as_deref()), e.user_id))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(all.len(), NAMES.len() + 5);

    // Bad queries and limits.
    invalid(
        w.chat.list_users(&actor, Some(""), false, None, None).await,
        "empty q",
    );
    invalid(
        w.chat
            .list_users(&actor, Some(&"a".repeat(81)), false, None, None)
            .await,
        "q of 81 characters",
    );
    invalid(
        w.chat.list_users(&actor, None, false, None, Some(0)).await,
        "limit 0",
    );
    invalid(
        w.chat
            .list_users(&actor, None, false, None, Some(101))
            .await,
        "limit 101",
    );
}

/// A renamed user is found by the new name only: the search index follows every directory
/// write (provisioning and the token's name on admission).
pub async fn directory_search_follows_renames(b: TestBackend) {
    let w = world(b).await;
    let a = w.a.admin.account();
    w.chat
        .provision_user(a, UserId(200), Some("Joana Dark"), AccountRole::Agent, true)
        .await
        .unwrap();
    assert_eq!(names(&w, a, "joana").await, vec!["Joana Dark"]);
    w.chat
        .provision_user(
            a,
            UserId(200),
            Some("Çecília Luz"),
            AccountRole::Agent,
            true,
        )
        .await
        .unwrap();
    assert!(names(&w, a, "joana").await.is_empty());
    assert_eq!(names(&w, a, "cecilia").await, vec!["Çecília Luz"]);
    // A token with a new display name renames the entry too.
    w.chat
        .enter(Identity {
            account: a,
            user: UserId(200),
            role: AccountRole::Agent,
            name: Some("Benedita Luz".into()),
        })
        .await
        .unwrap();
    assert!(names(&w, a, "cecilia").await.is_empty());
    assert_eq!(names(&w, a, "luz").await, vec!["Benedita Luz"]);
    // A first-time caller with a name is searchable at once.
    w.chat
        .enter(Identity {
            account: a,
            user: UserId(201),
            role: AccountRole::Agent,
            name: Some("Zé Luz".into()),
        })
        .await
        .unwrap();
    assert_eq!(names(&w, a, "luz").await, vec!["Benedita Luz", "Zé Luz"]);
    assert_eq!(names(&w, a, "ze").await, vec!["Zé Luz"]);
}

/// Keyset paging walks the whole list (and a search) once: no duplicate, no gap, also when
/// many names fold to the same key; a cursor of another account or query is refused.
pub async fn directory_pages_without_dup_or_skip(b: TestBackend) {
    let w = world(b).await;
    let a = w.a.admin.account();
    for i in 0..23 {
        // Three spellings of one folded name, plus distinct ones.
        let name = match i % 4 {
            0 => "João Silva".to_owned(),
            1 => "JOAO SILVA".to_owned(),
            2 => "joão silva".to_owned(),
            _ => format!("Silva {i:02}"),
        };
        w.chat
            .provision_user(a, UserId(300 + i), Some(&name), AccountRole::Agent, true)
            .await
            .unwrap();
    }
    let actor = &w.a.agents[0];
    for (q, expected) in [(None, 28), (Some("silva"), 23), (Some("jo"), 18)] {
        let mut seen: Vec<DirectoryEntry> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = w
                .chat
                .list_users(actor, q, false, cursor.as_deref(), Some(4))
                .await
                .unwrap();
            assert!(page.items.len() <= 4);
            seen.extend(page.items);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let ids: HashSet<UserId> = seen.iter().map(|e| e.user_id).collect();
        assert_eq!(ids.len(), seen.len(), "q={q:?}: duplicates");
        let all = w
            .chat
            .list_users(actor, q, false, None, Some(100))
            .await
            .unwrap()
            .items;
        assert_eq!(seen, all, "q={q:?}: pages equal one big page");
        // Without q: the 5 people of the fixture too; "jo": the João Silva spellings only.
        assert_eq!(all.len(), expected, "q={q:?}");
    }
    let page = w
        .chat
        .list_users(actor, Some("silva"), false, None, Some(2))
        .await
        .unwrap();
    let c = page.next_cursor.unwrap();
    invalid(
        w.chat
            .list_users(actor, Some("joao"), false, Some(&c), Some(2))
            .await,
        "cursor of another query",
    );
    invalid(
        w.chat
            .list_users(&w.b.agents[0], Some("silva"), false, Some(&c), Some(2))
            .await,
        "cursor of another account",
    );
    invalid(
        w.chat
            .list_users(&w.a.admin, Some("silva"), true, Some(&c), Some(2))
            .await,
        "cursor of the list without inactive users",
    );
}

/// Another account's users never appear, and `GET /users/{id}` of another account's user
/// is not found.
pub async fn directory_is_tenant_scoped(b: TestBackend) {
    let w = world(b).await;
    let (a, b_acc) = (w.a.admin.account(), w.b.admin.account());
    provision_names(&w, b_acc, 100).await;
    w.chat
        .provision_user(a, UserId(500), Some("Only In A"), AccountRole::Agent, true)
        .await
        .unwrap();
    assert!(names(&w, a, "joao").await.is_empty());
    assert_eq!(names(&w, b_acc, "joao").await.len(), 3);
    for (actor, own) in [(&w.a.admin, a), (&w.b.admin, b_acc)] {
        let all = w
            .chat
            .list_users(actor, None, true, None, Some(100))
            .await
            .unwrap()
            .items;
        assert!(all.iter().all(|e| e.account_id == own));
    }
    let b_user = UserId(101);
    assert_eq!(
        w.chat
            .get_user(&w.b.agents[0], b_user)
            .await
            .unwrap()
            .user_id,
        b_user
    );
    not_found(
        w.chat.get_user(&w.a.admin, b_user).await,
        "another account's user",
    );
    not_found(
        w.chat.get_user(&w.b.admin, UserId(500)).await,
        "another account's user",
    );
    not_found(w.chat.get_user(&w.a.admin, UserId(0)).await, "user 0");
    let me = w.chat.get_user(&w.a.agents[0], UserId(500)).await.unwrap();
    assert_eq!(me.name.as_deref(), Some("Only In A"));
}

/// Inactive users are listed only with `include_inactive`, which only managers may set.
pub async fn directory_inactive_only_for_managers(b: TestBackend) {
    let w = world(b).await;
    let a = w.a.admin.account();
    w.chat
        .provision_user(a, UserId(600), Some("Jorge Ido"), AccountRole::Agent, false)
        .await
        .unwrap();
    let find = |include: bool, actor: crate::chat::Actor| {
        let chat = w.chat.clone();
        async move {
            chat.list_users(&actor, Some("jorge"), include, None, None)
                .await
                .map(|p| p.items.len())
        }
    };
    assert_eq!(find(false, w.a.agents[0].clone()).await.unwrap(), 0);
    assert_eq!(find(false, w.a.admin.clone()).await.unwrap(), 0);
    assert_eq!(find(true, w.a.admin.clone()).await.unwrap(), 1);
    assert_eq!(find(true, w.a.supervisor.clone()).await.unwrap(), 1);
    forbidden(
        find(true, w.a.agents[0].clone()).await,
        "agent with include_inactive",
    );
    // The entry itself is readable, marked inactive.
    let e = w.chat.get_user(&w.a.agents[0], UserId(600)).await.unwrap();
    assert!(!e.active);
    // Reactivating and deactivating an indexed user moves them in and out of searches.
    w.chat
        .provision_user(a, UserId(600), Some("Jorge Ido"), AccountRole::Agent, true)
        .await
        .unwrap();
    assert_eq!(find(false, w.a.agents[0].clone()).await.unwrap(), 1);
    w.chat
        .provision_user(a, UserId(600), Some("Jorge Ido"), AccountRole::Agent, false)
        .await
        .unwrap();
    assert_eq!(find(false, w.a.agents[0].clone()).await.unwrap(), 0);
    assert_eq!(find(true, w.a.admin.clone()).await.unwrap(), 1);
}

/// Managers list every live team room of their account, member or not, most recent activity
/// first, with member counts; DMs, archived rooms and other accounts never; agents may not.
pub async fn rooms_account_scope_lists_every_team_room(b: TestBackend) {
    let w = world(b).await;
    let (adm, sup) = (&w.a.admin, &w.a.supervisor);
    let (a0, a1) = (&w.a.agents[0], &w.a.agents[1]);
    let r1 = w.room(sup, "one", &[a0]).await;
    next_ms();
    let r2 = w.room(sup, "two", &[a0, a1]).await;
    next_ms();
    let r3 = w.room(adm, "three", &[]).await;
    next_ms();
    let gone = w.room(adm, "gone", &[a0]).await;
    w.chat.archive_room(adm, gone.id).await.unwrap();
    w.chat.create_room(a0, dm_with(a1.user())).await.unwrap();
    w.room(&w.b.admin, "other account", &[]).await;
    next_ms();
    // A message makes r1 the most recent.
    w.chat.send_message(a0, r1.id, text("hi")).await.unwrap();

    for actor in [adm, sup] {
        let all = w
            .chat
            .list_account_rooms(actor, None, Some(100))
            .await
            .unwrap()
            .items;
        let ids: Vec<_> = all.iter().map(|r| r.room.id).collect();
        assert_eq!(ids, vec![r1.id, r3.id, r2.id]);
        let counts: Vec<_> = all.iter().map(|r| r.member_count).collect();
        assert_eq!(counts, vec![2, 1, 3]);
        assert!(all[0].room.last_message_at.is_some());
        // Paged one by one: the same rooms, once.
        let mut paged = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = w
                .chat
                .list_account_rooms(actor, cursor.as_deref(), Some(1))
                .await
                .unwrap();
            paged.extend(page.items.into_iter().map(|r| r.room.id));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(paged, ids);
    }
    forbidden(
        w.chat.list_account_rooms(a0, None, None).await,
        "agent listing every room",
    );
    // A cursor of the member list is refused here, and one of account A in account B.
    let own = w.chat.list_rooms(a0, None, Some(1)).await.unwrap();
    invalid(
        w.chat
            .list_account_rooms(adm, own.next_cursor.as_deref(), None)
            .await,
        "member-list cursor",
    );
    let page = w.chat.list_account_rooms(adm, None, Some(1)).await.unwrap();
    invalid(
        w.chat
            .list_account_rooms(&w.b.admin, page.next_cursor.as_deref(), None)
            .await,
        "cursor of another account",
    );
    let b_rooms = w
        .chat
        .list_account_rooms(&w.b.admin, None, None)
        .await
        .unwrap();
    assert_eq!(b_rooms.items.len(), 1);
}

/// `from` (inclusive) and `to` (exclusive) bound the audit listing, paging included.
pub async fn audit_time_range_filters(b: TestBackend) {
    let w = world(b).await;
    let adm = &w.a.admin;
    let mut times = Vec::new();
    for i in 0..6 {
        next_ms();
        let r = w.room(adm, &format!("r{i}"), &[]).await;
        times.push(r.created_at);
    }
    w.room(&w.b.admin, "b", &[]).await;
    let list = |from: Option<Timestamp>, to: Option<Timestamp>, limit: u32| {
        let chat = w.chat.clone();
        let adm = adm.clone();
        async move {
            let filter = AuditFilter {
                from,
                to,
                ..Default::default()
            };
            let mut out = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let page = chat
                    .list_audit(&adm, &filter, cursor.as_deref(), Some(limit))
                    .await
                    .unwrap();
                out.extend(page.items);
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            out
        }
    };
    let all = list(Some(times[0]), None, 100).await;
    assert_eq!(all.len(), 6);
    assert_eq!(
        list(None, None, 100).await.len(),
        6 + 5,
        "and the fixture's provisioning"
    );
    let got = list(Some(times[1]), Some(times[4]), 1).await;
    let at: Vec<_> = got.iter().map(|e| e.created_at).collect();
    assert_eq!(
        at,
        vec![times[3], times[2], times[1]],
        "from inclusive, to exclusive"
    );
    assert_eq!(list(Some(times[5]), None, 2).await.len(), 1);
    let before = list(None, Some(times[0]), 2).await;
    assert!(
        before.iter().all(|e| e.actor_id.is_none()),
        "only the provisioning"
    );
    assert_eq!(list(Some(times[4]), Some(times[4]), 2).await.len(), 0);
    assert!(list(None, None, 100)
        .await
        .iter()
        .all(|e| e.account_id == adm.account()));
}

/// The service API's changes are audited with no actor and `metadata.actor: "service"`: one
/// entry per call that changes something (`user.provisioned` for a new entry, else
/// `user.deactivated`/`user.reactivated` when `active` flips, else `user.updated`;
/// `entitlements.updated`), none when nothing changes, and never the change without its entry.
pub async fn audit_service_changes(b: TestBackend) {
    let w = world(b).await;
    let a = w.a.admin.account();
    let user = UserId(700);
    let entries = || {
        let chat = w.chat.clone();
        let adm = w.a.admin.clone();
        async move {
            let filter = AuditFilter {
                from: None,
                ..Default::default()
            };
            let items = chat
                .list_audit(&adm, &filter, None, Some(100))
                .await
                .unwrap()
                .items;
            items
                .into_iter()
                .filter(|e| e.target_id == "700" || e.target_id == a.to_string())
                .collect::<Vec<_>>()
        }
    };
    let provision = |name: &str, role: AccountRole, active: bool| {
        let chat = w.chat.clone();
        let name = name.to_owned();
        async move {
            chat.provision_user(a, user, Some(&name), role, active)
                .await
        }
    };
    use crate::model::AuditAction::*;
    let steps: Vec<(&str, AccountRole, bool, Option<crate::model::AuditAction>)> = vec![
        ("Rita Lee", AccountRole::Agent, true, Some(UserProvisioned)),
        ("Rita Lee", AccountRole::Agent, true, None),
        (
            "Rita Lee Jones",
            AccountRole::Agent,
            true,
            Some(UserUpdated),
        ),
        (
            "Rita Lee Jones",
            AccountRole::Supervisor,
            true,
            Some(UserUpdated),
        ),
        (
            "Rita Lee Jones",
            AccountRole::Supervisor,
            false,
            Some(UserDeactivated),
        ),
        ("Rita Lee Jones", AccountRole::Supervisor, false, None),
        ("Rita", AccountRole::Agent, true, Some(UserReactivated)),
    ];
    let mut count = 0;
    for (name, role, active, action) in steps {
        provision(name, role, active).await.unwrap();
        let now = entries().await;
        if let Some(action) = action {
            count += 1;
            let e = &now[0];
            assert_eq!(
                (e.action, e.actor_id),
                (action, None),
                "{name} {role} {active}"
            );
            assert_eq!(e.metadata["actor"], "service");
            assert_eq!(e.metadata["active"], active);
        }
        assert_eq!(
            now.len(),
            count,
            "{name} {role} {active}: one entry per change"
        );
    }
    // Entitlements: a change is audited, the same values again are not.
    let plan = crate::model::Entitlements {
        chat_enabled: true,
        max_rooms: Some(3),
        max_members_per_room: None,
    };
    w.chat.set_entitlements(a, plan).await.unwrap();
    w.chat.set_entitlements(a, plan).await.unwrap();
    let now = entries().await;
    assert_eq!(now.len(), count + 1);
    assert_eq!(
        (now[0].action, now[0].actor_id, now[0].target_id.clone()),
        (EntitlementsUpdated, None, a.to_string())
    );
    assert_eq!(now[0].metadata["actor"], "service");
    assert_eq!(now[0].metadata["max_rooms"], 3);
    // Defaults on an account that never set any change nothing.
    let fresh = AccountId(77);
    w.chat
        .set_entitlements(fresh, crate::model::Entitlements::default())
        .await
        .unwrap();
    let admin = crate::chat::Actor::unchecked(fresh, UserId(1), AccountRole::Admin);
    let log = w
        .chat
        .list_audit(&admin, &AuditFilter::default(), None, None)
        .await
        .unwrap();
    assert!(log.items.is_empty());

    // No change without its entry: a failing audit insert leaves the entry as it was.
    (w.backend.fail_audit)(true);
    assert!(provision("Someone Else", AccountRole::Admin, true)
        .await
        .is_err());
    assert!(w
        .chat
        .set_entitlements(a, crate::model::Entitlements::default())
        .await
        .is_err());
    (w.backend.fail_audit)(false);
    let e = w.chat.get_user(&w.a.admin, user).await.unwrap();
    assert_eq!(e.name.as_deref(), Some("Rita"));
    assert_eq!(e.role, AccountRole::Agent);
    assert_eq!(w.chat.entitlements(a).await.unwrap(), plan);
    assert_eq!(entries().await.len(), count + 1);
}
