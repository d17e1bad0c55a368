# Ballpark: cost of keeping stats rollups in the send transaction vs. not, raw SQLite (Python).
import sqlite3, time, random, os, uuid, sys
def mk(path, rollup):
    if os.path.exists(path): os.remove(path)
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("pragma journal_mode=wal"); c.execute("pragma synchronous=normal")
    c.executescript("""
    CREATE TABLE rooms(id BLOB PRIMARY KEY, account_id INT, last_seq INT DEFAULT 0, last_message_at INT);
    CREATE TABLE members(room_id BLOB, user_id INT, account_id INT, last_read_seq INT, last_read_at INT, skipped INT DEFAULT 0, mention_count INT DEFAULT 0);
    CREATE UNIQUE INDEX m1 ON members(room_id,user_id); CREATE INDEX m2 ON members(user_id,last_read_at);
    CREATE TABLE messages(id BLOB PRIMARY KEY, room_id BLOB, account_id INT, sender_id INT, content TEXT, message_type TEXT, mentions TEXT, client_id TEXT, seq INT, created_at INT, edited_at INT, deleted_at INT);
    CREATE INDEX a ON messages(room_id, created_at DESC); CREATE INDEX b ON messages(account_id, created_at DESC);
    CREATE UNIQUE INDEX c ON messages(room_id, seq); CREATE UNIQUE INDEX d ON messages(room_id,sender_id,client_id) WHERE client_id IS NOT NULL;
    CREATE TABLE events(account_id INT, id INT, kind TEXT, room_id BLOB, ts INT, data TEXT, PRIMARY KEY(account_id,id)) WITHOUT ROWID;
    CREATE TABLE rh(account_id INT, b INT, sender INT, n INT, PRIMARY KEY(account_id,b,sender)) WITHOUT ROWID;
    CREATE TABLE rd(account_id INT, b INT, sender INT, n INT, PRIMARY KEY(account_id,b,sender)) WITHOUT ROWID;
    """)
    rooms=[uuid.uuid4().bytes for _ in range(100)]
    c.execute("begin")
    for r in rooms:
        c.execute("insert into rooms(id,account_id) values(?,1)",(r,))
        for u in range(10): c.execute("insert into members values(?,?,1,0,0,0,0)",(r,u))
    c.execute("commit")
    return c, rooms
def run(rollup, n=20000):
    c, rooms = mk(f"/tmp/stx/{rollup}.db", rollup)
    t0=time.perf_counter(); ev=0
    for i in range(n):
        r=random.choice(rooms); u=random.randrange(10); now=int(time.time()*1000)
        c.execute("begin immediate")
        seq=c.execute("update rooms set last_seq=last_seq+1,last_message_at=? where id=? returning last_seq",(now,r)).fetchone()[0]
        c.execute("insert into messages(id,room_id,account_id,sender_id,content,message_type,mentions,seq,created_at) values(?,?,1,?,?,'text','[]',?,?)",(uuid.uuid4().bytes,r,u,"hello world "*5,seq,now))
        c.execute("update members set last_read_seq=?,last_read_at=? where room_id=? and user_id=?",(seq,now,r,u))
        ev+=1; c.execute("insert into events values(1,?,'message.created',?,?,?)",(ev,r,now,'{}'))
        if rollup:
            c.execute("insert into rh values(1,?,?,1) on conflict do update set n=n+1",(now//3600000,u))
            c.execute("insert into rd values(1,?,?,1) on conflict do update set n=n+1",(now//86400000,u))
        c.execute("commit")
    return (time.perf_counter()-t0)/n*1e6
for rep in range(3):
    a=run(False); b=run(True)
    print(f"rep {rep}: plain {a:.1f} us/send, with 2 rollup upserts {b:.1f} us/send: +{(b/a-1)*100:.1f}%", flush=True)
