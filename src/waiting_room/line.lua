-- The waiting line of one event, in Redis. One script, so every operation is atomic: however
-- many instances call it at once, each number is admitted once and the event admits at its
-- configured rate, not rate × instances.
--
-- KEYS: 1 meta (hash: epoch, next, serving, waiting, tokens, last_tick, ewma; while recovering
--         also rec_until, pause_until, floor, reserved, reserved_until, fseq)
--       2 u2n (hash user -> number, waiting users)   3 n2u (hash number -> user)
--       4 active (zset user -> last activity ms)     5 pre (set: joined before the sale opened)
--       6 lines (set of event ids with a line to tick)
--       7 ends (zset user -> when the admitted shopper's turn ends, ms)
--       8 late (zset user -> number: restored users whose number was passed while they were away)
--       9 fresh (zset user -> arrival: joined during a recovery window, numbered when it closes)
-- ARGV: 1 op, 2 event id, 3 user, 4 now ms, 5 capacity, 6 admit rate per s, 7 idle ms,
--       8 sale opens at ms, 9 tick ms, 10 turn ms (the admission lifetime), 11 gate, 12.. per op
--
-- The gate (the event's settings, `LineSettings::gate`): 'auto' admits a joiner at once while
-- there is room and nobody waits; 'on' numbers every joiner; 'off' admits every joiner at once
-- whatever the capacity, and ticks admit whoever waits, up to OFF_PER_TICK a tick, with no
-- rate or capacity limit; 'paused' admits nobody (joins still take numbers, and keep them).
--
-- `join` takes a batch: ARGV 12.. are (user, claim) pairs, joined one after the other as if
-- each were its own call at the same moment, and the answer is one place per pair. Callers
-- that arrive together on one instance share a call (see `waiting_room::joins`).
--
-- A waiting user's place is number - serving: O(1), no scan.
--
-- The `epoch` field marks the line as known. Every operation but `init` and `recover` answers
-- {'lost'} when it is missing: the line's state is gone (Redis restarted without persistence,
-- or a failover lost it), and the caller must decide from what it remembers whether this is a
-- new line (`init`) or one to rebuild (`recover`) before anyone is numbered again.

local op, event, user = ARGV[1], ARGV[2], ARGV[3]
local now, capacity, rate = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local idle, opens, tick_ms = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local turn = tonumber(ARGV[10])
local gate = ARGV[11]
-- With the waiting room off, the most one tick lets in (the line empties fast, but boundedly).
local OFF_PER_TICK = 1000
local meta, u2n, n2u, active, pre, lines = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local ends, late, fresh = KEYS[7], KEYS[8], KEYS[9]

local function num(field)
  return tonumber(redis.call('HGET', meta, field) or '0') or 0
end

local epoch = redis.call('HGET', meta, 'epoch')

if op == 'init' then
  -- ARGV 12: the epoch to start with, unless another instance started the line first.
  if not epoch then
    epoch = ARGV[12]
    redis.call('HSET', meta, 'epoch', epoch)
  end
  return epoch
end

-- Slots held for shoppers admitted before a loss who have not come back yet.
local function reserved()
  if num('reserved_until') > now then return num('reserved') end
  return 0
end

local function occupied()
  return redis.call('ZCARD', active) + reserved()
end

local function fresh_seq()
  return redis.call('HINCRBY', meta, 'fseq', 1)
end

if op == 'recover' then
  -- ARGV 12 new epoch, 13 the epoch the caller saw lost ('' when none was left), 14 the highest
  -- number issued, 14 the highest serving number, 15 active shoppers, 16 recovery window ms,
  -- 17 admission pause ms, 18 how long slots stay reserved ms. Merges: several instances may
  -- notice the same loss, each with what it remembers.
  local status = 'recovered'
  if epoch and epoch ~= ARGV[13] then
    status = 'merged'
  else
    epoch = ARGV[12]
    redis.call('HSET', meta, 'epoch', epoch)
  end
  local hw_next, hw_serving = tonumber(ARGV[14]), tonumber(ARGV[15])
  local serving = num('serving')
  if hw_serving > serving then
    -- Numbers up to hw_serving were let in before the loss; anyone holding one in what is left
    -- was numbered since (by an instance that knew nothing) and is a newcomer.
    for n = serving + 1, math.min(hw_serving, serving + 100000) do
      local u = redis.call('HGET', n2u, n)
      if u then
        redis.call('HDEL', n2u, n)
        redis.call('HDEL', u2n, u)
        redis.call('HINCRBY', meta, 'waiting', -1)
        redis.call('ZADD', fresh, fresh_seq(), u)
      end
    end
    redis.call('HSET', meta, 'serving', hw_serving)
  end
  if hw_next > num('next') then redis.call('HSET', meta, 'next', hw_next) end
  local missing = math.max(0, tonumber(ARGV[16]) - redis.call('ZCARD', active))
  if num('rec_until') > now then
    redis.call('HSET', meta, 'reserved', math.max(reserved(), missing),
      'floor', math.max(num('floor'), hw_serving))
  else
    redis.call('HSET', meta, 'rec_until', now + tonumber(ARGV[17]),
      'pause_until', now + tonumber(ARGV[18]), 'floor', math.max(num('serving'), hw_serving),
      'reserved', missing, 'reserved_until', now + tonumber(ARGV[19]))
  end
  redis.call('SADD', lines, event)
  return {status, epoch}
end

if not epoch then return {'lost'} end

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

local function recovering()
  return num('rec_until') > now
end

local function total_waiting()
  return num('waiting') + redis.call('ZCARD', fresh)
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

-- When a recovery window closes, those who joined during it are numbered in arrival order,
-- after every number restored from a receipt.
local function close_recovery()
  if num('rec_until') == 0 or recovering() then return end
  local next_number = num('next')
  local newcomers = redis.call('ZRANGE', fresh, 0, -1)
  for i = 1, #newcomers do
    local u = newcomers[i]
    if not redis.call('HGET', u2n, u) and not redis.call('ZSCORE', active, u) then
      next_number = next_number + 1
      redis.call('HSET', u2n, u, next_number)
      redis.call('HSET', n2u, next_number, u)
      redis.call('HINCRBY', meta, 'waiting', 1)
    end
  end
  redis.call('DEL', fresh)
  redis.call('HSET', meta, 'next', next_number)
  redis.call('HDEL', meta, 'rec_until', 'pause_until', 'floor', 'fseq')
end

local function place(u)
  local n = redis.call('HGET', u2n, u)
  if n then
    return {'waiting', tonumber(n), num('serving'), total_waiting(), tostring(num('ewma')),
      occupied()}
  end
  if redis.call('ZSCORE', active, u) then
    local turn_ends = redis.call('ZSCORE', ends, u)
    if not turn_ends then
      -- Admitted before turns were kept: their turn starts now.
      turn_ends = now + turn
      redis.call('ZADD', ends, turn_ends, u)
    end
    return {'admitted', 0, num('serving'), total_waiting(), tostring(num('ewma')), tonumber(turn_ends)}
  end
  local arrived = redis.call('ZRANK', fresh, u)
  if arrived then
    -- Behind everyone restored so far: an estimate until the window closes.
    return {'pending', num('waiting') + arrived + 1, num('serving'), total_waiting(),
      tostring(num('ewma')), occupied()}
  end
  if redis.call('SISMEMBER', pre, u) == 1 then
    return {'presale', 0, num('serving'), redis.call('SCARD', pre), tostring(num('ewma'))}
  end
  return {'absent', 0, num('serving'), total_waiting(), tostring(num('ewma'))}
end

-- Takes a user out of the line, wherever they wait (numbered, late, newcomer, pre-sale).
local function out_of_line(u)
  local n = redis.call('HGET', u2n, u)
  if n then
    redis.call('HDEL', u2n, u)
    redis.call('HDEL', n2u, n)
    redis.call('HINCRBY', meta, 'waiting', -1)
  end
  redis.call('ZREM', late, u)
  redis.call('ZREM', fresh, u)
  redis.call('SREM', pre, u)
end

open_sale()

-- One join. `claim`: the number a valid receipt names (0: joined before the sale opened;
-- -1: none).
local function join(u, claim)
  local p = place(u)
  if p[1] == 'waiting' or p[1] == 'presale' or p[1] == 'pending' then return p end
  if p[1] == 'admitted' then
    redis.call('ZADD', active, now, u)
    return p
  end
  redis.call('SADD', lines, event)
  if recovering() and now >= opens then
    if claim > num('floor') and not redis.call('HGET', n2u, claim) then
      -- Their number back. If the line has passed it meanwhile, they go first.
      redis.call('HSET', u2n, u, claim)
      redis.call('HSET', n2u, claim, u)
      redis.call('HINCRBY', meta, 'waiting', 1)
      if claim > num('next') then redis.call('HSET', meta, 'next', claim) end
      if claim <= num('serving') then redis.call('ZADD', late, claim, u) end
      return place(u)
    end
    redis.call('ZADD', fresh, fresh_seq(), u)
    return place(u)
  end
  if now < opens then
    redis.call('SADD', pre, u)
    return place(u)
  end
  -- The surge switch: straight in while there is room and nobody waits (or always, with the
  -- waiting room off; never while paused or with the waiting room on).
  if gate == 'off' or (gate == 'auto' and num('waiting') == 0 and occupied() < capacity) then
    admit(u)
    return place(u)
  end
  local n = redis.call('HINCRBY', meta, 'next', 1)
  redis.call('HSET', u2n, u, n)
  redis.call('HSET', n2u, n, u)
  redis.call('HINCRBY', meta, 'waiting', 1)
  return place(u)
end

-- A batch of joins while the sale is open and no recovery is under way, which is when joins
-- come by the thousand: the same rules as `join`, one joiner after the other, but on local
-- copies of the line's counters, with everyone's number and slot looked up in two calls for
-- the whole batch and the changes written back at the end: a dozen calls per batch instead
-- of some twenty per joiner. Claims only matter during a recovery, and nobody is pre-sale or
-- a recovery newcomer then (the sale's opening emptied `pre`; `fresh` is checked empty), so a
-- joiner is waiting, shopping, or new.
local function join_open(first)
  local users = {}
  for i = first, #ARGV - 1, 2 do users[#users + 1] = ARGV[i] end
  if #users == 0 then return {} end
  -- As the line was before the batch; what the batch changes is in numbered and shopping.
  local had_number = redis.call('HMGET', u2n, unpack(users))
  local had_slot = redis.call('ZMSCORE', active, unpack(users))
  local m = redis.call('HMGET', meta, 'next', 'serving', 'waiting', 'ewma', 'reserved',
    'reserved_until')
  local function at(i) return tonumber(m[i] or '0') or 0 end
  local next_number, serving, waiting, ewma = at(1), at(2), at(3), tostring(at(4))
  local held = 0
  if at(6) > now then held = at(5) end
  local shoppers = redis.call('ZCARD', active)
  local numbered, shopping = {}, {}
  local numbers, lets_in, turns = {}, {}, {}
  local out = {}
  for k, u in ipairs(users) do
    local n = numbered[u]
    if not n and not shopping[u] then
      n = had_number[k]
      if n then
        n = tonumber(n)
        numbered[u] = n
      elseif had_slot[k] then
        -- Shopping already: a join counts as activity.
        redis.call('ZADD', active, now, u)
        local turn_ends = redis.call('ZSCORE', ends, u)
        if not turn_ends then
          -- Admitted before turns were kept: their turn starts now.
          turn_ends = now + turn
          redis.call('ZADD', ends, turn_ends, u)
        end
        shopping[u] = tonumber(turn_ends)
      elseif gate == 'off' or (gate == 'auto' and waiting == 0 and shoppers + held < capacity) then
        -- The surge switch: straight in while there is room and nobody waits (see `join`).
        shoppers = shoppers + 1
        shopping[u] = now + turn
        lets_in[#lets_in + 1] = now
        lets_in[#lets_in + 1] = u
        turns[#turns + 1] = now + turn
        turns[#turns + 1] = u
      else
        next_number = next_number + 1
        waiting = waiting + 1
        n = next_number
        numbered[u] = n
        numbers[#numbers + 1] = u
        numbers[#numbers + 1] = n
      end
    end
    if n then
      out[#out + 1] = {'waiting', n, serving, waiting, ewma, shoppers + held}
    else
      out[#out + 1] = {'admitted', 0, serving, waiting, ewma, shopping[u]}
    end
  end
  if #numbers > 0 then
    redis.call('HSET', u2n, unpack(numbers))
    local back = {}
    for i = 1, #numbers, 2 do
      back[i], back[i + 1] = numbers[i + 1], numbers[i]
    end
    redis.call('HSET', n2u, unpack(back))
    redis.call('HSET', meta, 'next', next_number, 'waiting', waiting)
  end
  if #lets_in > 0 then
    redis.call('ZADD', active, unpack(lets_in))
    redis.call('ZADD', ends, unpack(turns))
  end
  if #numbers > 0 or #lets_in > 0 then redis.call('SADD', lines, event) end
  return out
end

if op == 'join' then
  -- ARGV 12..: (user, claim) pairs, in arrival order.
  if now >= opens and not recovering() and redis.call('ZCARD', fresh) == 0 then
    return join_open(12)
  end
  local out = {}
  for i = 12, #ARGV - 1, 2 do
    out[#out + 1] = join(ARGV[i], tonumber(ARGV[i + 1]) or -1)
  end
  return out

elseif op == 'status' then
  return place(user)

elseif op == 'touch' then
  -- A shopping call: still admitted? Then the slot stays theirs a while longer.
  if redis.call('ZSCORE', active, user) then
    redis.call('ZADD', active, now, user)
    return 1
  end
  return 0

elseif op == 'reinstate' then
  -- ARGV 12: when the turn named in the shopper's admission token ends. After a loss, a
  -- shopper let in before it comes back with that token and takes a reserved slot again.
  if redis.call('ZSCORE', active, user) then
    redis.call('ZADD', active, now, user)
    return 1
  end
  local turn_ends = tonumber(ARGV[12]) or 0
  if num('reserved_until') <= now or turn_ends <= now then return 0 end
  out_of_line(user)
  redis.call('ZADD', active, now, user)
  redis.call('ZADD', ends, turn_ends, user)
  if num('reserved') > 0 then redis.call('HINCRBY', meta, 'reserved', -1) end
  redis.call('SADD', lines, event)
  return 1

elseif op == 'leave' then
  -- Leaves a hole: the tick skips it, and places never go up.
  out_of_line(user)
  redis.call('ZREM', active, user)
  redis.call('ZREM', ends, user)
  return 1

elseif op == 'release' then
  redis.call('ZREM', active, user)
  redis.call('ZREM', ends, user)
  return 1

elseif op == 'summary' then
  return {occupied(), total_waiting(), redis.call('SCARD', pre), num('serving'),
    tostring(num('ewma')), recovering() and 1 or 0}

elseif op == 'tick' then
  local function state(kind, admitted)
    local out = {kind, num('serving'), total_waiting(), tostring(num('ewma')), occupied(),
      redis.call('SCARD', pre), epoch, num('next'), recovering() and 1 or 0}
    for i = 1, #admitted do out[#out + 1] = admitted[i] end
    return out
  end
  local last = num('last_tick')
  -- Another instance ticked this event moments ago: nothing to do (and no second
  -- queue:progress for the same moment). The state still tells this instance where the line
  -- is, so that it notices a loss within a tick.
  if last > 0 and now - last < tick_ms * 0.8 then
    return state('skip', {})
  end
  close_recovery()
  local dt = tick_ms
  if last > 0 then dt = now - last end
  -- Token bucket shared by all instances: at most `rate` admissions per second, bursting to
  -- one second's worth after a pause.
  local bucket = math.min(math.max(rate, 1), num('tokens') + rate * dt / 1000)
  local tokens, free = bucket, capacity - occupied()
  -- The waiting room off: whoever waits goes in, boundedly per tick, past rate and capacity.
  if gate == 'off' then tokens, free = OFF_PER_TICK, OFF_PER_TICK end
  -- Paused sales let nobody in. Early in a recovery, nobody is let in either: people coming
  -- back with receipts, in whatever order, get their numbers before the line moves on.
  if gate == 'paused' or num('pause_until') > now then free = 0 end
  local serving, waiting, next_number = num('serving'), num('waiting'), num('next')
  local admitted = {}
  local function let_in(u, n)
    redis.call('HDEL', u2n, u)
    redis.call('HDEL', n2u, n)
    redis.call('ZREM', late, u)
    admit(u)
    waiting = waiting - 1
    admitted[#admitted + 1] = u
  end
  -- Restored users whose numbers the line passed while they were away go first, in order.
  while #admitted + 1 <= tokens and #admitted < free do
    local first = redis.call('ZRANGE', late, 0, 0)
    if #first == 0 then break end
    local n = redis.call('HGET', u2n, first[1])
    if n then let_in(first[1], n) else redis.call('ZREM', late, first[1]) end
  end
  while #admitted + 1 <= tokens and #admitted < free and waiting > 0 and serving < next_number do
    serving = serving + 1
    local u = redis.call('HGET', n2u, serving)
    if u then let_in(u, serving) end
  end
  if gate ~= 'off' then bucket = tokens - #admitted end
  local alpha = 1 - math.exp(-dt / 5000)
  local ewma = num('ewma') + alpha * (#admitted * 1000 / dt - num('ewma'))
  redis.call('HSET', meta, 'serving', serving, 'waiting', waiting, 'tokens', tostring(bucket),
    'last_tick', now, 'ewma', tostring(ewma))
  if waiting == 0 and redis.call('SCARD', pre) == 0 and occupied() == 0
      and redis.call('ZCARD', fresh) == 0 and not recovering() then
    redis.call('SREM', lines, event)
    redis.call('DEL', ends)
  end
  return state('ok', admitted)
end
return redis.error_reply('unknown op ' .. tostring(op))
