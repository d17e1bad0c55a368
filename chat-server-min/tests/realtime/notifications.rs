//! Notifications over REST and on the stream.

use super::*;

/// Notifications over REST, and `notification.created` on the stream.
#[tokio::test]
async fn notifications_list_and_read() {
    let s = start(realtime_config()).await;
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    user(&s.chat, 1, 4, AccountRole::Agent).await;
    let room = team_room(&s.chat, &admin, "R", &[3, 4]).await;
    let t3 = token(1, 3, AccountRole::Agent);
    let t4 = token(1, 4, AccountRole::Agent);
    let base = s.base(1);
    let mut c3 = Client::Ws(s.ws(1, "", Some(&t3), &[]).await.unwrap());
    let res = s
        .json(
            Method::POST,
            &format!("{base}/rooms/{}/messages", room.id),
            Some(&t4),
            json!({"content": "hey @3", "mentions": [3]}),
        )
        .await;
    assert_eq!(res.status, 201);
    let dm = s
        .json(
            Method::POST,
            &format!("{base}/rooms"),
            Some(&t4),
            json!({"type": "dm", "member_ids": [3]}),
        )
        .await;
    let dm = dm.json()["id"].as_str().unwrap().to_owned();
    say(&s, 1, 4, AccountRole::Agent, &dm, "psst").await;
    let got = c3
        .durable_until(|v| v["type"] == "notification.created" && v["data"]["kind"] == "dm")
        .await;
    let kinds: Vec<_> = got
        .iter()
        .filter(|v| v["type"] == "notification.created")
        .map(|v| v["data"]["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("mention"), json!("dm")]);

    let list = s.get(&format!("{base}/notifications"), Some(&t3)).await;
    assert_eq!(list.status, 200, "{}", list.text());
    let items = list.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "dm", "newest first");
    assert_eq!(items[0]["read_at"], Value::Null);
    assert!(s
        .get(&format!("{base}/notifications"), Some(&t4))
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .is_empty());
    let page = s
        .get(&format!("{base}/notifications?limit=1"), Some(&t3))
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let page = s
        .get(
            &format!("{base}/notifications?limit=1&cursor={cursor}"),
            Some(&t3),
        )
        .await
        .json();
    assert_eq!(page["items"][0]["kind"], "mention");

    let read = |body: Value| {
        let (s, t3) = (&s, &t3);
        async move {
            s.json(
                Method::POST,
                &format!("{}/notifications/read", s.base(1)),
                Some(t3),
                body,
            )
            .await
        }
    };
    let res = read(json!({"ids": [items[0]["id"]]})).await;
    assert_eq!((res.status, res.json()), (200, json!({"updated": 1})));
    let unread = s
        .get(&format!("{base}/notifications?unread_only=true"), Some(&t3))
        .await
        .json();
    assert_eq!(unread["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        read(json!({"all": true})).await.json(),
        json!({"updated": 1})
    );
    assert_eq!(
        read(json!({"all": true})).await.json(),
        json!({"updated": 0})
    );
    for bad in [
        json!({}),
        json!({"all": false}),
        json!({"ids": [], "all": true}),
        json!({"ids": ["x"]}),
        json!({"all": true, "x": 1}),
    ] {
        let res = read(bad.clone()).await;
        assert_eq!(
            (res.status, res.error_code().as_str()),
            (422, "validation_failed"),
            "{bad}"
        );
    }
    for q in ["unread_only=yes", "limit=0", "cursor=forged"] {
        let res = s.get(&format!("{base}/notifications?{q}"), Some(&t3)).await;
        assert_eq!(res.status, 422, "{q}");
    }
    s.stop().await;
}
