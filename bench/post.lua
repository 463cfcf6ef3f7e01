-- wrk script: POST the Hub payload with a per-request headSha, so no two bodies are identical.
-- usage: wrk ... -s bench/post.lua URL -- BODY_FILE SECRET RUN_NUMBER (unique per wrk run)
local counter = 0
local thread_id = 0
local template, secret, run

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  local file = io.open(args[1], "r")
  template = file:read("*a")
  file:close()
  secret = args[2]
  run = tonumber(args[3])
end

function request()
  counter = counter + 1
  local sha = string.format("%06d%04d%030d", run, tid, counter)
  local body = template:gsub("5e7f29fffcc579cb52539fddb14a1a4f85f39e44", sha)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-Webhook-Secret"] = secret}, body)
end
