-- The waiting line of one event, in Redis. One script, so every operation is atomic: however
-- many instances call it at once, each number is admitted once and the event admits at its
-- configured rate, not rate × instances.
--
-- KEYS: 1 meta (hash: next, serving, waiting, tokens, last_tick, ewma)
--       2 u2n (hash user -> number, waiting users)   3 n2u (hash number -> user)
--       4 active (zset user -> last activity ms)     5 pre (set: joined before the sale opened)
--       6 lines (set of event ids with a line to tick)
--       7 ends (zset user -> when the admitted shopper's turn ends, ms)
-- ARGV: 1 op, 2 event id, 3 user, 4 now ms, 5 capacity, 6 admit rate per s, 7 idle ms,
--       8 sale opens at ms, 9 tick ms, 10 turn ms (the admission lifetime)
--
-- A waiting user's place is number - serving: O(1), no scan.

local op, event, user = ARGV[1], ARGV[2], ARGV[3]
local now, capacity, rate = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local idle, opens, tick_ms = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local turn = tonumber(ARGV[10])
local meta, u2n, n2u, active, pre, lines = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local ends = KEYS[7]

local function num(field)
  return tonumber(redis.call('HGET', meta, field) or '0') or 0
end

-- Shoppers idle past the timeout, or whose turn has run out, lose their slot. A turn ends
-- when they pay, leave, idle or its time is up; cancelling a hold does not end it.
redis.call('ZREMRANGEBYSCORE', active, '-inf', '(' .. (now - idle))
local over = redis.call('ZRANGEBYSCORE', ends, '-inf', now)
if #over > 0 then
  for i = 1, #over do redis.call('ZREM', active, over[i]) end
  redis.call('ZREMRANGEBYSCORE', ends, '-inf', now)
end

local function admit(u)
  redis.call('ZADD', active, now, u)
  redis.call('ZADD', ends, now + turn, u)
end

-- When the sale opens, everyone who came early is put in line in a random order (SPOP is
-- random), ahead of everyone who joins from now on.
local function open_sale()
  if now < opens then return end
  local n = redis.call('SCARD', pre)
  if n == 0 then return end
  local next_number = num('next')
  for _ = 1, n do
    local u = redis.call('SPOP', pre)
    if not u then break end
    if not redis.call('HGET', u2n, u) and not redis.call('ZSCORE', active, u) then
      next_number = next_number + 1
      redis.call('HSET', u2n, u, next_number)
      redis.call('HSET', n2u, next_number, u)
      redis.call('HINCRBY', meta, 'waiting', 1)
    end
  end
  redis.call('HSET', meta, 'next', next_number)
end

local function place(u)
  local n = redis.call('HGET', u2n, u)
  if n then
    return {'waiting', tonumber(n), num('serving'), num('waiting'), tostring(num('ewma')),
      redis.call('ZCARD', active)}
  end
  if redis.call('ZSCORE', active, u) then
    local turn_ends = redis.call('ZSCORE', ends, u)
    if not turn_ends then
      -- Admitted before turns were kept: their turn starts now.
      turn_ends = now + turn
      redis.call('ZADD', ends, turn_ends, u)
    end
    return {'admitted', 0, num('serving'), num('waiting'), tostring(num('ewma')), tonumber(turn_ends)}
  end
  if redis.call('SISMEMBER', pre, u) == 1 then
    return {'presale', 0, num('serving'), redis.call('SCARD', pre), tostring(num('ewma'))}
  end
  return {'absent', 0, num('serving'), num('waiting'), tostring(num('ewma'))}
end

open_sale()

if op == 'join' then
  local p = place(user)
  if p[1] == 'waiting' or p[1] == 'presale' then return p end
  if p[1] == 'admitted' then
    redis.call('ZADD', active, now, user)
    return p
  end
  redis.call('SADD', lines, event)
  if now < opens then
    redis.call('SADD', pre, user)
    return place(user)
  end
  -- The surge switch: straight in while there is room and nobody waits.
  if num('waiting') == 0 and redis.call('ZCARD', active) < capacity then
    admit(user)
    return place(user)
  end
  local n = redis.call('HINCRBY', meta, 'next', 1)
  redis.call('HSET', u2n, user, n)
  redis.call('HSET', n2u, n, user)
  redis.call('HINCRBY', meta, 'waiting', 1)
  return place(user)

elseif op == 'status' then
  return place(user)

elseif op == 'touch' then
  -- A shopping call: still admitted? Then the slot stays theirs a while longer.
  if redis.call('ZSCORE', active, user) then
    redis.call('ZADD', active, now, user)
    return 1
  end
  return 0

elseif op == 'leave' then
  local n = redis.call('HGET', u2n, user)
  if n then
    -- Leaves a hole: the tick skips it, and places never go up.
    redis.call('HDEL', u2n, user)
    redis.call('HDEL', n2u, n)
    redis.call('HINCRBY', meta, 'waiting', -1)
  end
  redis.call('SREM', pre, user)
  redis.call('ZREM', active, user)
  redis.call('ZREM', ends, user)
  return 1

elseif op == 'release' then
  redis.call('ZREM', active, user)
  redis.call('ZREM', ends, user)
  return 1

elseif op == 'summary' then
  return {redis.call('ZCARD', active), num('waiting'), redis.call('SCARD', pre), num('serving'), tostring(num('ewma'))}

elseif op == 'tick' then
  local last = num('last_tick')
  -- Another instance ticked this event moments ago: nothing to do (and no second
  -- queue:progress for the same moment).
  if last > 0 and now - last < tick_ms * 0.8 then
    return {'skip'}
  end
  local dt = tick_ms
  if last > 0 then dt = now - last end
  -- Token bucket shared by all instances: at most `rate` admissions per second, bursting to
  -- one second's worth after a pause.
  local tokens = math.min(math.max(rate, 1), num('tokens') + rate * dt / 1000)
  local free = capacity - redis.call('ZCARD', active)
  local serving, waiting, next_number = num('serving'), num('waiting'), num('next')
  local admitted = {}
  while #admitted + 1 <= tokens and #admitted < free and waiting > 0 and serving < next_number do
    serving = serving + 1
    local u = redis.call('HGET', n2u, serving)
    if u then
      redis.call('HDEL', n2u, serving)
      redis.call('HDEL', u2n, u)
      admit(u)
      waiting = waiting - 1
      admitted[#admitted + 1] = u
    end
  end
  -- Skip trailing holes so `serving` reaches the next real waiter's number only when due.
  tokens = tokens - #admitted
  local alpha = 1 - math.exp(-dt / 5000)
  local ewma = num('ewma') + alpha * (#admitted * 1000 / dt - num('ewma'))
  redis.call('HSET', meta, 'serving', serving, 'waiting', waiting, 'tokens', tostring(tokens),
    'last_tick', now, 'ewma', tostring(ewma))
  if waiting == 0 and redis.call('SCARD', pre) == 0 and redis.call('ZCARD', active) == 0 then
    redis.call('SREM', lines, event)
    redis.call('DEL', ends)
  end
  local out = {'ok', serving, waiting, tostring(ewma), redis.call('ZCARD', active),
    redis.call('SCARD', pre)}
  for i = 1, #admitted do out[#out + 1] = admitted[i] end
  return out
end
return redis.error_reply('unknown op ' .. tostring(op))
