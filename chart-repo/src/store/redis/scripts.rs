//! Every Lua script of the Redis backend: one per transition, each headed by
//! its `KEYS`/`ARGV`. Scripts run atomically on the server, which is what makes
//! a lease, a completion or a hydration commit all-or-nothing.
//!
//! A few keys cannot be declared up front (the hash of a job whose id the
//! script assigns, the per-user app hashes of every holder): scripts build them
//! from a prefix passed in `ARGV`. Every key shares the `{prefix}` hash tag, so
//! they all live in the one slot the declared keys name.

use std::sync::LazyLock;

use redis::Script;

/// Helpers prepended to the scripts that need them.
///
/// - `holds(job, token)`: the job is leased under `token`.
/// - `finish(job, leased, pending, live, done, failed, member, state, next_at, now)`:
///   ends the lease; `state` `pending` requeues at `next_at`, `done`/`failed`
///   free the key for a new job and file the job in that sorted set, scored
///   by `now` (for counts and `purge_finished`).
/// - `reclaim(leased, pending, job_prefix, now)`: returns jobs whose deadline is
///   `<= now` to pending at their old `next_attempt_at`; how many.
/// - `append(seq, changes, draft)`: the next feed id, stored as the member
///   `"{id}\n{draft}"` scored by the id; returns the id.
const LIB: &str = r"
local function holds(job, token)
  return redis.call('HGET', job, 'state') == 'leased'
    and redis.call('HGET', job, 'lease_token') == token
end

local function finish(job, leased, pending, live, done, failed, member, state, next_at, now)
  redis.call('HDEL', job, 'lease_worker', 'lease_token', 'lease_deadline')
  redis.call('ZREM', leased, member)
  redis.call('HSET', job, 'state', state, 'updated_at', now)
  if state == 'pending' then
    redis.call('HSET', job, 'next_attempt_at', next_at)
    redis.call('ZADD', pending, next_at, member)
  else
    local key = redis.call('HGET', job, 'key')
    if redis.call('HGET', live, key) == redis.call('HGET', job, 'id') then
      redis.call('HDEL', live, key)
    end
    if state == 'done' then redis.call('ZADD', done, now, member)
    else redis.call('ZADD', failed, now, member) end
  end
end

local function reclaim(leased, pending, job_prefix, now)
  local members = redis.call('ZRANGEBYSCORE', leased, '-inf', now)
  for _, member in ipairs(members) do
    local job = job_prefix .. member
    redis.call('HDEL', job, 'lease_worker', 'lease_token', 'lease_deadline')
    redis.call('HSET', job, 'state', 'pending', 'updated_at', now)
    redis.call('ZADD', pending, redis.call('HGET', job, 'next_attempt_at'), member)
  end
  if #members > 0 then redis.call('ZREMRANGEBYSCORE', leased, '-inf', now) end
  return #members
end

local function append(seq, changes, draft)
  local id = redis.call('INCR', seq)
  redis.call('ZADD', changes, id, id .. '\n' .. draft)
  return id
end
";

/// KEYS[1] sources hash, KEYS[2] id of the active remote source.
/// ARGV[1] id, ARGV[2] document, ARGV[3] "1" when the source is an active remote.
/// Returns 0 (and writes nothing) when another remote is already active.
pub(super) static PUT_SOURCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local current = redis.call('GET', KEYS[2])
if ARGV[3] == '1' then
  if current and current ~= ARGV[1] then return 0 end
  redis.call('SET', KEYS[2], ARGV[1])
elseif current == ARGV[1] then
  redis.call('DEL', KEYS[2])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
",
    )
});

/// KEYS[1] sources hash, KEYS[2] id of the active remote source. ARGV[1] id.
/// Returns the number of removed sources (0 or 1).
pub(super) static DELETE_SOURCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return redis.call('HDEL', KEYS[1], ARGV[1])
",
    )
});

/// KEYS[1] schema version, KEYS[2] sources hash. ARGV[1] version, then id and
/// document pairs. Seeds only the first time, so a deleted default stays deleted.
pub(super) static SEED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('SETNX', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1
",
    )
});

fn script(body: &str) -> Script {
    Script::new(&format!("{LIB}\n{body}"))
}

/// KEYS[1] live (key → id), KEYS[2] latest (key → id), KEYS[3] job id counter,
/// KEYS[4] pending zset. ARGV[1] job hash prefix, ARGV[2] encoded key,
/// ARGV[3..6] user, source, app, version, ARGV[7] request JSON, ARGV[8] now (ms).
/// Returns `{id, 1}` for the live job of the key, else `{new id, 0}`.
pub(super) static ENQUEUE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local live = redis.call('HGET', KEYS[1], ARGV[2])
if live then return {tonumber(live), 1} end
local id = redis.call('INCR', KEYS[3])
local member = string.format('%020d', id)
redis.call('HSET', ARGV[1] .. member, 'id', id, 'key', ARGV[2], 'user', ARGV[3],
  'source', ARGV[4], 'app', ARGV[5], 'version', ARGV[6], 'request', ARGV[7],
  'state', 'pending', 'attempts', 0, 'next_attempt_at', ARGV[8],
  'created_at', ARGV[8], 'updated_at', ARGV[8])
redis.call('ZADD', KEYS[4], ARGV[8], member)
redis.call('HSET', KEYS[1], ARGV[2], id)
redis.call('HSET', KEYS[2], ARGV[2], id)
return {id, 0}
",
    )
});

/// KEYS[1] pending zset, KEYS[2] leased zset. ARGV[1] job hash prefix, ARGV[2]
/// now (ms), ARGV[3] max jobs, ARGV[4] deadline (ms), ARGV[5] worker.
/// Reclaims expired leases, then leases the due jobs (lowest score, then
/// lowest zero-padded id first). Returns each leased job's HGETALL.
pub(super) static LEASE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
reclaim(KEYS[2], KEYS[1], ARGV[1], ARGV[2])
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for i, member in ipairs(members) do
  local job = ARGV[1] .. member
  local attempts = redis.call('HINCRBY', job, 'attempts', 1)
  redis.call('HSET', job, 'state', 'leased', 'lease_worker', ARGV[5], 'lease_token', attempts,
    'lease_deadline', ARGV[4], 'updated_at', ARGV[2])
  redis.call('ZREM', KEYS[1], member)
  redis.call('ZADD', KEYS[2], ARGV[4], member)
  out[i] = redis.call('HGETALL', job)
end
return out
",
    )
});

/// KEYS[1] pending zset, KEYS[2] leased zset. ARGV[1] job hash prefix, ARGV[2]
/// now (ms). Returns how many expired leases went back to pending.
pub(super) static RECLAIM: LazyLock<Script> =
    LazyLock::new(|| script("return reclaim(KEYS[2], KEYS[1], ARGV[1], ARGV[2])"));

/// KEYS[1] job hash, KEYS[2] leased zset. ARGV[1] token, ARGV[2] new deadline
/// (ms), ARGV[3] the job's member. Returns 1, or 0 if the lease was lost.
pub(super) static HEARTBEAT: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
if not holds(KEYS[1], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'lease_deadline', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
",
    )
});

/// KEYS[1] job hash, KEYS[2] leased zset, KEYS[3] pending zset, KEYS[4] live
/// hash, KEYS[5] done zset, KEYS[6] failed zset. ARGV[1] token, ARGV[2] the job's member,
/// ARGV[3] result JSON, ARGV[4] now (ms). Returns 1, or 0 if the lease was lost.
pub(super) static COMPLETE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
if not holds(KEYS[1], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'result', ARGV[3])
finish(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[2], 'done', nil, ARGV[4])
return 1
",
    )
});

/// KEYS[1] job hash, KEYS[2] leased zset, KEYS[3] pending zset, KEYS[4] live
/// hash, KEYS[5] done zset, KEYS[6] failed zset, KEYS[7] change id counter,
/// KEYS[8] changes zset. ARGV[1] token, ARGV[2] the job's member, ARGV[3] failure JSON, ARGV[4]
/// retry time (ms) or '' for a permanent failure, ARGV[5] now (ms), ARGV[6]
/// state-change draft JSON or ''. Returns -1 if the lease was lost, else the
/// appended change id or 0.
pub(super) static FAIL: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
if not holds(KEYS[1], ARGV[1]) then return -1 end
redis.call('HSET', KEYS[1], 'last_failure', ARGV[3])
if ARGV[4] ~= '' then
  finish(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[2], 'pending', ARGV[4], ARGV[5])
else
  finish(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[2], 'failed', nil, ARGV[5])
end
if ARGV[6] ~= '' then return append(KEYS[7], KEYS[8], ARGV[6]) end
return 0
",
    )
});

/// KEYS[1] job hash, KEYS[2] leased zset, KEYS[3] pending zset, KEYS[4] live
/// hash, KEYS[5] done zset, KEYS[6] failed zset, KEYS[7] the user's app hash,
/// KEYS[8] the app's holders set, KEYS[9] users-with-apps set, KEYS[10] change
/// id counter, KEYS[11] changes zset. ARGV[1] token, ARGV[2] the job's member, ARGV[3]
/// result JSON, ARGV[4] now (ms), ARGV[5] field `source/app`, ARGV[6] record
/// JSON, ARGV[7] user, ARGV[8] version, ARGV[9] package digest, ARGV[10] draft
/// JSON or ''. Returns `{'lost', 0}`, or `{outcome, change id or 0}`; an
/// `existing` record is left as it was and appends nothing.
pub(super) static COMMIT_HYDRATION: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
if not holds(KEYS[1], ARGV[1]) then return {'lost', 0} end
local outcome = 'new'
local old = redis.call('HGET', KEYS[7], ARGV[5])
if old then
  local rec = cjson.decode(old)
  if rec.version == ARGV[8] and rec.package_digest == ARGV[9] then
    outcome = 'existing'
  else
    outcome = 'updated'
  end
end
local change = 0
if outcome ~= 'existing' then
  redis.call('HSET', KEYS[7], ARGV[5], ARGV[6])
  redis.call('SADD', KEYS[8], ARGV[7])
  redis.call('SADD', KEYS[9], ARGV[7])
  if ARGV[10] ~= '' then change = append(KEYS[10], KEYS[11], ARGV[10]) end
end
redis.call('HSET', KEYS[1], 'result', ARGV[3])
finish(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[2], 'done', nil, ARGV[4])
return {outcome, change}
",
    )
});

/// KEYS[1] the app's holders set, KEYS[2] users-with-apps set, KEYS[3] change
/// id counter, KEYS[4] changes zset. ARGV[1] per-user app hash prefix, ARGV[2]
/// field `source/app`, ARGV[3] user or '' for every holder, ARGV[4] timestamp
/// (RFC 3339), ARGV[5] source, ARGV[6] app name. Removes the records, appends
/// one `app_removed` per record (users in order), returns the removed JSONs.
pub(super) static REMOVE_APP: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local users
if ARGV[3] ~= '' then users = {ARGV[3]} else users = redis.call('SMEMBERS', KEYS[1]) end
table.sort(users)
local out = {}
for _, user in ipairs(users) do
  local hash = ARGV[1] .. user
  local doc = redis.call('HGET', hash, ARGV[2])
  if doc then
    redis.call('HDEL', hash, ARGV[2])
    redis.call('SREM', KEYS[1], user)
    if redis.call('HLEN', hash) == 0 then redis.call('SREM', KEYS[2], user) end
    local rec = cjson.decode(doc)
    local draft = cjson.encode({type = 'app_removed', timestamp = ARGV[4],
      app_data = {user_id = user, source = ARGV[5], app_name = ARGV[6], version = rec.version}})
    append(KEYS[3], KEYS[4], draft)
    table.insert(out, doc)
  end
end
return out
",
    )
});

/// KEYS[1] change id counter, KEYS[2] changes zset. ARGV[1] draft JSON.
/// Returns the new id.
pub(super) static APPEND_CHANGE: LazyLock<Script> =
    LazyLock::new(|| script("return append(KEYS[1], KEYS[2], ARGV[1])"));

/// KEYS[1] changes zset, KEYS[2] highest trimmed id. ARGV[1] how many to keep.
/// Drops the oldest changes beyond that, raises the watermark, returns how many.
pub(super) static TRIM_CHANGES: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local n = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[1])
if n <= 0 then return 0 end
local last = redis.call('ZRANGE', KEYS[1], n - 1, n - 1, 'WITHSCORES')
local cut = tonumber(last[2])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - 1)
if cut > tonumber(redis.call('GET', KEYS[2]) or '0') then
  redis.call('SET', KEYS[2], string.format('%d', cut))
end
return n
",
    )
});

/// KEYS[1] done zset, KEYS[2] failed zset, KEYS[3] latest (key → id).
/// ARGV[1] job hash prefix, ARGV[2] cut-off (ms): jobs finished before it go.
/// Returns how many job hashes were deleted.
pub(super) static PURGE_FINISHED: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local n = 0
for i = 1, 2 do
  local members = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[2])
  for _, member in ipairs(members) do
    local job = ARGV[1] .. member
    local key = redis.call('HGET', job, 'key')
    if key and redis.call('HGET', KEYS[3], key) == redis.call('HGET', job, 'id') then
      redis.call('HDEL', KEYS[3], key)
    end
    n = n + redis.call('DEL', job)
    redis.call('ZREM', KEYS[i], member)
  end
end
return n
",
    )
});
