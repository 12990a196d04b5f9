-- A token bucket per caller, refilled continuously (service/rate_limit.py).
-- KEYS[1]: the caller's bucket (a hash: tokens, at_us)
-- ARGV[1]: refill rate, tokens per second; ARGV[2]: capacity (the burst)
-- Returns {allowed (1 or 0), seconds until a token is there (a string: Lua numbers become integers)}.
-- The clock is the server's, so every API process sees the same time.
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at_us')
local tokens = tonumber(state[1]) or burst
local at_us = tonumber(state[2]) or now_us
tokens = math.min(burst, tokens + math.max(0, now_us - at_us) / 1000000 * rate)
local allowed = 0
local wait_s = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait_s = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at_us', tostring(now_us))
-- an idle bucket is full again after burst / rate seconds: it need not outlive that
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(wait_s)}
