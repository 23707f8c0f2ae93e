# Sourced by CLI tests that need one duetd and one sandbox app (not run alone).
# Expects: $duet, $duetd, $dir (a temporary directory the caller removes) and
# a fail() function. Starts duetd --dev on a free loopback port, without the
# sandbox rate limit (not under test there; a fast machine runs past it), and
# leaves: $pid, $data, $url, $ca, the arrays adm=(duet admin …) and
# api=(duet api … for the sandbox app), $tenant and $app. The caller's EXIT
# trap stops $pid. Optional: $duetd_extra_config (more TOML for duetd) and
# $tenant_name.
data=$dir/data
printf '[limits]\nsandbox_requests_per_second = 0\n%s' "${duetd_extra_config:-}" >"$dir/duetd.toml"
"$duetd" --config "$dir/duetd.toml" --data-dir "$data" --listen 127.0.0.1:0 --dev >>"$dir/duetd.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ -s "$data/duetd.port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "duetd exited at start"
  sleep 0.1
done
[ -s "$data/duetd.port" ] || fail "duetd did not start within 60 s"
port=$(tr -dc '0-9:' <"$data/duetd.port"); port=${port##*:}
url="https://127.0.0.1:$port"
ca="$data/tls/dev-cert.pem"
adm=("$duet" admin --server "$url" --ca "$ca" --token-file "$data/admin.token")
tenant=$("${adm[@]}" tenant create --name "${tenant_name:-PIN bank}" | jq -r .tenant_id)
apps=$("${adm[@]}" app create --tenant "$tenant" 2>/dev/null)
app=$(jq -r .sandbox.app_id <<<"$apps")
jq -r .sandbox.secret <<<"$apps" >"$dir/secret"
api=("$duet" api --server "$url" --ca "$ca" --app-id "$app" --secret-file "$dir/secret")
