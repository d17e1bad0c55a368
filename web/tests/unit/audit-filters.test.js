import test from "node:test";
import assert from "node:assert/strict";
import { AUDIT_ACTIONS, filtersFromQuery, filtersToQuery, toApiFilters } from "../../src/lib/audit-filters.js";
import { createI18n } from "../../src/lib/i18n.js";

test("filters round-trip through the page URL in a fixed order", () => {
  const filters = { action: "member.added", actorId: 12, targetId: "0190-abc", from: "2026-12-01", to: "2026-12-03" };
  const query = filtersToQuery(filters);
  assert.equal(query, "?action=member.added&actor=12&target=0190-abc&from=2026-12-01&to=2026-12-03");
  assert.deepEqual(filtersFromQuery(query), filters);
  assert.equal(filtersToQuery({}), "");
  assert.deepEqual(filtersFromQuery(""), {});
});

test("hand-edited URLs: malformed filters are left out, a reversed range is put right", () => {
  assert.deepEqual(
    filtersFromQuery("?action=<script>&actor=-3&target=%20%20&from=2026-02-30&to=tomorrow&token=secret"),
    {},
  );
  assert.deepEqual(filtersFromQuery("?actor=99999999999999999999"), {});
  assert.deepEqual(filtersFromQuery("?from=2026-12-05&to=2026-12-01"), { from: "2026-12-01", to: "2026-12-05" });
  assert.deepEqual(filtersFromQuery(new URLSearchParams({ action: "user.deactivated" })), { action: "user.deactivated" });
  assert.equal(filtersToQuery(filtersFromQuery("?token=abc&access_token=def")), "", "nothing but filters reaches the URL");
});

test("days become instants in the user's zone, the last day inclusive", () => {
  assert.deepEqual(toApiFilters({ from: "2026-12-01", to: "2026-12-03", actorId: 3 }, "America/Sao_Paulo"), {
    actorId: 3,
    from: "2026-12-01T03:00:00.000Z",
    to: "2026-12-04T03:00:00.000Z",
  });
  assert.deepEqual(toApiFilters({ to: "2026-12-31" }, "UTC"), { to: "2027-01-01T00:00:00.000Z" });
  assert.deepEqual(toApiFilters({}, "UTC"), {});
});

test("every audit action has words in both catalogues", () => {
  for (const locale of ["pt-BR", "en"]) {
    const i18n = createI18n({ locale });
    for (const action of AUDIT_ACTIONS) assert.notEqual(i18n.auditAction(action), action, `${locale}: ${action}`);
  }
});
