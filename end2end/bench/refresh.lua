-- wrk: the refresh grant, each pre-generated refresh token used once (they rotate). Stops by
-- itself when the tokens run out. Run with -t1 so one Lua state hands out every token.
--   wrk -t1 -c64 -d10s --latency -s refresh.lua http://127.0.0.1:PORT  (TOKENS_FILE=...)
local tokens, i = {}, 0
for line in io.lines(os.getenv("TOKENS_FILE") or "tokens.txt") do tokens[#tokens + 1] = line end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  i = i + 1
  if i > #tokens then
    wrk.thread:stop()
    i = #tokens
  end
  return wrk.format("POST", "/oauth2/token", nil,
    "grant_type=refresh_token&client_id=tcc_acme&refresh_token=" .. tokens[i])
end
