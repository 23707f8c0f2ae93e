# Sourced by the SLA tests that need an ended month with figures
# (sla_claims_cli_test.sh, browser_portal_test.sh): writes straight into
# duetd's SQLite database a month [FROM, TO) in which minutes 100–144 failed
# the probe (a 45-minute outage), the tenant active since before it, and a
# package PACKAGE_ID with 10,000 signatures counted in the month.
# seed_synthetic_month DB TENANT FROM TO FAR PACKAGE_ID (FAR: the package's expiry).
seed_synthetic_month() {
  local db=$1 tenant=$2 from=$3 to=$4 far=$5 package=$6
  sqlite3 -cmd ".timeout 10000" "$db" <<SQL
BEGIN IMMEDIATE;
WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < ($to - $from) / 60 - 1)
INSERT OR REPLACE INTO availability_minutes (tenant_id, minute, probes_ok, probes_failed)
  SELECT '', $from + i * 60, CASE WHEN i BETWEEN 100 AND 144 THEN 0 ELSE 1 END,
         CASE WHEN i BETWEEN 100 AND 144 THEN 1 ELSE 0 END FROM m;
UPDATE tenants SET created_at = $from - 86400, production_active_from = $from - 86400 WHERE tenant_id = '$tenant';
INSERT INTO packages (tenant_id, package_id, kind, quantity, used, starts_at, expires_at, source, note, created_at)
  VALUES ('$tenant', '$package', 'per_signature', 100000, 10000, $from, $far, 'purchase', '', $from);
WITH RECURSIVE u(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM u WHERE i < 9999)
INSERT INTO usage_records (tenant_id, usage_id, package_id, kind, order_id, item_index, holder_id, counted_at)
  SELECT '$tenant', 'use_t' || i, '$package', 'per_signature', 'ord_t' || (i / 2), i % 2, 'hld_t',
         $from + 86400 + i FROM u;
COMMIT;
SQL
}
