-- wrk script: every request is a waiting-room join by a different user.
--
--   JOINS_TOKENS=/tmp/x/tokens JOINS_EVENT=<event id> wrk -t2 -c64 -d10s -s bench/joins.lua URL
--
-- HS256 signing is impractical in wrk's Lua, so the tokens are minted beforehand
-- (`boxoffice-load tokens --files <threads> --out $JOINS_TOKENS`): thread k reads
-- `$JOINS_TOKENS.k`. All tokens have the same length, so each file is read in one piece and
-- indexed, not split into a table: loading takes milliseconds, and the first thread does not
-- run long before the others start. If a thread runs out of tokens it starts again from its
-- first (those joins are re-joins); `done` says so, and bench/joins-wrk.sh treats it as an error.

local threads = {}
local count = 0

function setup(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end

local data, width, total, nxt

function init(args)
  local path = os.getenv("JOINS_TOKENS") .. "." .. id
  local f = assert(io.open(path, "rb"))
  data = f:read("*a")
  f:close()
  local eol = data:find("\n", 1, true)
  width = eol -- token length + newline
  assert(#data % width == 0, path .. ": tokens of different lengths")
  total = #data / width
  nxt = 0
  wrapped = 0
  used = 0
  local body = '{"eventId":"' .. os.getenv("JOINS_EVENT") .. '"}'
  prefix = "POST /api/queue/join HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. wrk.port
    .. "\r\nContent-Type: application/json\r\nContent-Length: " .. #body
    .. "\r\nAuthorization: Bearer "
  suffix = "\r\n\r\n" .. body
end

function request()
  if nxt == total then
    nxt = 0
    wrapped = wrapped + 1
  end
  local at = nxt * width
  nxt = nxt + 1
  used = used + 1
  return prefix .. data:sub(at + 1, at + width - 1) .. suffix
end

function done(summary, latency, requests)
  local used_all, wrapped_all = 0, 0
  for _, t in ipairs(threads) do
    used_all = used_all + (t:get("used") or 0)
    wrapped_all = wrapped_all + (t:get("wrapped") or 0)
  end
  io.write(string.format("joins-lua: %d requests built, %d token wraps (re-joins), %d non-2xx, %d socket errors\n",
    used_all, wrapped_all, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
