-- The peer's additions to the benchmark database (bench/README.md, issue 23).
--
-- 1. Computed columns, so PostGraphile answers in LicenseDesk's shape and
--    byte for byte the same values: counts as Int rather than BigInt strings,
--    money as {amount, currency} with the amount in major units ("8.00"),
--    the invoice number as "LD-000042", the roles as LicenseDesk lists them,
--    and the assigned users / invoice lines as plain lists. With GraphQL
--    aliases in the harness's queries the two answers are the same JSON
--    document, so the harness can demand equal response sizes.
-- 2. bench_search_users: workload (b) through the same term index as
--    users(search:) (entity::search, migration m20261122_000008): owners
--    whose folded term starts with the folded prefix, an index range on
--    search_terms (kind, scope_id, term) -- not a LIKE scan of the names.
-- 3. bench_assign / bench_unassign: workload (e) for the peer and for
--    pgbench, the same checks, writes and audit rows as LicenseDesk's
--    assignLicenses / unassignLicenses (R18–R21, R36); they return the
--    subscription, so the payload { subscription { assigned } } is asked
--    and answered as LicenseDesk's is.
--
-- All generated money is USD (two decimals); the amount formatting below is
-- only right for two-decimal currencies, which is all the datasets hold.

DO $$ BEGIN
  CREATE TYPE bench_money AS (amount text, currency text);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- Subscriptions: quantity, assigned, available, unitPrice, assignedUsers.
CREATE OR REPLACE FUNCTION subscriptions_seats(s subscriptions) RETURNS integer
LANGUAGE sql STABLE AS $$ SELECT s.quantity::integer $$;

CREATE OR REPLACE FUNCTION subscriptions_assigned(s subscriptions) RETURNS integer
LANGUAGE sql STABLE AS $$ SELECT CASE WHEN s.status = 'DISABLED' THEN 0 ELSE s.assigned_count::integer END $$;

CREATE OR REPLACE FUNCTION subscriptions_available(s subscriptions) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN s.quantity IS NULL THEN NULL WHEN s.status = 'DISABLED' THEN 0
              ELSE (s.quantity - s.assigned_count)::integer END
$$;

CREATE OR REPLACE FUNCTION subscriptions_unit_price(s subscriptions) RETURNS bench_money
LANGUAGE sql STABLE AS $$ SELECT ROW((s.unit_price_minor / 100.0)::numeric(20, 2)::text, s.currency)::bench_money $$;

-- The people holding a license now, oldest assignment first, at most 100
-- (LicenseDesk's assignedUsers default); none once DISABLED.
CREATE OR REPLACE FUNCTION subscriptions_assigned_users(s subscriptions) RETURNS SETOF users
LANGUAGE sql STABLE AS $$
  SELECT u.* FROM license_assignments a JOIN users u ON u.id = a.user_id
  WHERE a.subscription_id = s.id AND a.active AND s.status <> 'DISABLED'
  ORDER BY a.assigned_at, a.id
  LIMIT 100
$$;
COMMENT ON FUNCTION subscriptions_assigned_users(subscriptions) IS E'@behavior -connection +list';

-- Invoices: number, total, lines; lines: quantity, unitPrice, amount.
CREATE OR REPLACE FUNCTION invoices_display_number(i invoices) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT 'LD-' || lpad(i.number::text, 6, '0') $$;

CREATE OR REPLACE FUNCTION invoices_total(i invoices) RETURNS bench_money
LANGUAGE sql STABLE AS $$ SELECT ROW((i.total_minor / 100.0)::numeric(20, 2)::text, i.currency)::bench_money $$;

CREATE OR REPLACE FUNCTION invoices_lines(i invoices) RETURNS SETOF invoice_lines
LANGUAGE sql STABLE AS $$ SELECT * FROM invoice_lines l WHERE l.invoice_id = i.id ORDER BY l.position, l.id $$;
COMMENT ON FUNCTION invoices_lines(invoices) IS E'@behavior -connection +list';

CREATE OR REPLACE FUNCTION invoice_lines_units(l invoice_lines) RETURNS integer
LANGUAGE sql STABLE AS $$ SELECT l.quantity::integer $$;

CREATE OR REPLACE FUNCTION invoice_lines_unit_price(l invoice_lines) RETURNS bench_money
LANGUAGE sql STABLE AS $$
  SELECT ROW((l.unit_price_minor / 100.0)::numeric(20, 2)::text, i.currency)::bench_money
  FROM invoices i WHERE i.id = l.invoice_id
$$;

CREATE OR REPLACE FUNCTION invoice_lines_amount(l invoice_lines) RETURNS bench_money
LANGUAGE sql STABLE AS $$
  SELECT ROW((l.amount_minor / 100.0)::numeric(20, 2)::text, i.currency)::bench_money
  FROM invoices i WHERE i.id = l.invoice_id
$$;

-- Users: the organization roles, then USER, as `me { roles }` lists them.
CREATE OR REPLACE FUNCTION users_roles(u users) RETURNS text[]
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN u.organization_id IS NULL THEN ARRAY[]::text[]
              ELSE array(SELECT r.role FROM user_roles r WHERE r.user_id = u.id ORDER BY r.role) || 'USER'::text END
$$;

-- Workload (b): the people search (R23, issue 13) through the term index.
-- `prefix` is the folded search text (entity::search::fold: NFKD, accents
-- dropped, lower case; the harness folds it the same way); a term matches
-- when it starts with it: term >= prefix AND term < prefix || U+10FFFF, as
-- entity::search::prefix_range builds the range. The column has the "C"
-- collation, so the range compares code points on both servers.
CREATE OR REPLACE FUNCTION bench_search_users(org uuid, prefix text) RETURNS SETOF users
LANGUAGE sql STABLE AS $$
  SELECT u.* FROM users u
  WHERE u.organization_id = org AND u.deleted_at IS NULL AND u.active
    AND u.id IN (SELECT t.owner_id FROM search_terms t
                 WHERE t.kind = 'user' AND t.scope_id = org
                   AND t.term >= prefix AND t.term < prefix || chr(1114111))
  ORDER BY u.name, u.id
$$;

-- Workload (e).
CREATE OR REPLACE FUNCTION bench_assign(sub uuid, actor uuid, user_ids uuid[]) RETURNS subscriptions
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  s subscriptions;
  fresh uuid[];
  members integer;
  after_change subscriptions;
BEGIN
  SELECT * INTO s FROM subscriptions WHERE id = sub
    AND organization_id = (SELECT organization_id FROM users WHERE id = actor) FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'NOT_FOUND'; END IF;
  IF s.status <> 'ACTIVE' THEN RAISE EXCEPTION 'SUBSCRIPTION_NOT_ACTIVE'; END IF;
  SELECT count(*) INTO members FROM users
    WHERE id = ANY(user_ids) AND organization_id = s.organization_id AND active;
  IF members <> cardinality(user_ids) THEN RAISE EXCEPTION 'USER_NOT_IN_ORGANIZATION'; END IF;
  SELECT coalesce(array_agg(u), '{}') INTO fresh FROM unnest(user_ids) AS u
    WHERE NOT EXISTS (SELECT 1 FROM license_assignments a
                      WHERE a.subscription_id = sub AND a.active AND a.user_id = u);
  IF s.quantity IS NOT NULL AND cardinality(fresh) > s.quantity - s.assigned_count THEN
    RAISE EXCEPTION 'INSUFFICIENT_LICENSES';
  END IF;
  IF cardinality(fresh) = 0 THEN RETURN s; END IF;
  INSERT INTO license_assignments (id, subscription_id, organization_id, user_id, active, assigned_by, assigned_at)
    SELECT gen_random_uuid(), sub, s.organization_id, u, true, actor, now() FROM unnest(fresh) AS u;
  UPDATE subscriptions SET assigned_count = assigned_count + cardinality(fresh), updated_at = now()
    WHERE id = sub RETURNING * INTO after_change;
  INSERT INTO audit_events (id, organization_id, actor_user_id, action, object_type, object_id, before, after, created_at)
    VALUES (gen_random_uuid(), s.organization_id, actor, 'subscription.assign_licenses', 'subscription', sub,
            json_build_object('assigned', s.assigned_count)::text,
            json_build_object('assigned', s.assigned_count + cardinality(fresh), 'users', fresh)::text, now());
  RETURN after_change;
END $$;

CREATE OR REPLACE FUNCTION bench_unassign(sub uuid, actor uuid, user_ids uuid[]) RETURNS subscriptions
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  s subscriptions;
  removed integer;
  after_change subscriptions;
BEGIN
  SELECT * INTO s FROM subscriptions WHERE id = sub
    AND organization_id = (SELECT organization_id FROM users WHERE id = actor) FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'NOT_FOUND'; END IF;
  UPDATE license_assignments SET active = false, unassigned_by = actor, unassigned_at = now()
    WHERE subscription_id = sub AND active AND user_id = ANY(user_ids);
  GET DIAGNOSTICS removed = ROW_COUNT;
  IF removed = 0 THEN RETURN s; END IF;
  UPDATE subscriptions SET assigned_count = assigned_count - removed, updated_at = now() WHERE id = sub
    RETURNING * INTO after_change;
  INSERT INTO audit_events (id, organization_id, actor_user_id, action, object_type, object_id, before, after, created_at)
    VALUES (gen_random_uuid(), s.organization_id, actor, 'subscription.unassign_licenses', 'subscription', sub,
            json_build_object('assigned', s.assigned_count)::text,
            json_build_object('assigned', s.assigned_count - removed, 'users', user_ids)::text, now());
  RETURN after_change;
END $$;
