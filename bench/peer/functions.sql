-- Workload (e) for the peer and for pgbench: the same checks and writes as
-- LicenseDesk's assignLicenses / unassignLicenses (R18–R21, R36), as
-- PostgreSQL functions that PostGraphile exposes as mutations.
CREATE OR REPLACE FUNCTION bench_assign(sub uuid, actor uuid, user_ids uuid[]) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  s subscriptions;
  fresh uuid[];
  members integer;
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
  IF cardinality(fresh) = 0 THEN RETURN 0; END IF;
  INSERT INTO license_assignments (id, subscription_id, user_id, active, assigned_by, assigned_at)
    SELECT gen_random_uuid(), sub, u, true, actor, now() FROM unnest(fresh) AS u;
  UPDATE subscriptions SET assigned_count = assigned_count + cardinality(fresh), updated_at = now()
    WHERE id = sub;
  INSERT INTO audit_events (id, organization_id, actor_user_id, action, object_type, object_id, before, after, created_at)
    VALUES (gen_random_uuid(), s.organization_id, actor, 'subscription.assign_licenses', 'subscription', sub,
            json_build_object('assigned', s.assigned_count)::text,
            json_build_object('assigned', s.assigned_count + cardinality(fresh), 'users', fresh)::text, now());
  RETURN cardinality(fresh);
END $$;

CREATE OR REPLACE FUNCTION bench_unassign(sub uuid, actor uuid, user_ids uuid[]) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  s subscriptions;
  removed integer;
BEGIN
  SELECT * INTO s FROM subscriptions WHERE id = sub
    AND organization_id = (SELECT organization_id FROM users WHERE id = actor) FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'NOT_FOUND'; END IF;
  UPDATE license_assignments SET active = false, unassigned_by = actor, unassigned_at = now()
    WHERE subscription_id = sub AND active AND user_id = ANY(user_ids);
  GET DIAGNOSTICS removed = ROW_COUNT;
  IF removed = 0 THEN RETURN 0; END IF;
  UPDATE subscriptions SET assigned_count = assigned_count - removed, updated_at = now() WHERE id = sub;
  INSERT INTO audit_events (id, organization_id, actor_user_id, action, object_type, object_id, before, after, created_at)
    VALUES (gen_random_uuid(), s.organization_id, actor, 'subscription.unassign_licenses', 'subscription', sub,
            json_build_object('assigned', s.assigned_count)::text,
            json_build_object('assigned', s.assigned_count - removed, 'users', user_ids)::text, now());
  RETURN removed;
END $$;

-- Workload (b) for the peer: the people search by name or e-mail prefix (R23).
CREATE OR REPLACE FUNCTION bench_search_users(org uuid, prefix text) RETURNS SETOF users
LANGUAGE sql STABLE AS $$
  SELECT * FROM users
  WHERE organization_id = org AND active
    -- any word of the name or the start of the e-mail, as users(search:) does
    AND (lower(name) LIKE lower(prefix) || '%' OR lower(name) LIKE '% ' || lower(prefix) || '%'
         OR email LIKE lower(prefix) || '%')
  ORDER BY name, id
$$;
