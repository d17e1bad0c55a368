import test from "node:test";
import assert from "node:assert/strict";
import { createI18n, resolveLocale, CATALOGUES, DEFAULT_LOCALE } from "../../src/lib/i18n.js";
import ptBR from "../../src/i18n/pt-BR.js";
import en from "../../src/i18n/en.js";

test("locale resolution: pt-BR by default, en second, language fallback, lists in order", () => {
  assert.equal(DEFAULT_LOCALE, "pt-BR");
  assert.equal(resolveLocale(undefined), "pt-BR");
  assert.equal(resolveLocale(""), "pt-BR");
  assert.equal(resolveLocale("fr-FR"), "pt-BR");
  assert.equal(resolveLocale("pt"), "pt-BR");
  assert.equal(resolveLocale("pt-PT"), "pt-BR");
  assert.equal(resolveLocale("PT_br"), "pt-BR");
  assert.equal(resolveLocale("en-GB"), "en");
  assert.equal(resolveLocale(["fr", "en-US", "pt-BR"]), "en");
  assert.equal(resolveLocale(["", "de"]), "pt-BR");
});

test("both catalogues have the same keys, the same placeholders and the same plural shape", () => {
  assert.deepEqual(Object.keys(en).sort(), Object.keys(ptBR).sort());
  /** @param {unknown} v */
  const texts = (v) => (typeof v === "string" ? [v] : Object.values(/** @type {object} */ (v)));
  /** @param {string} s */
  const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const key of Object.keys(ptBR)) {
    const a = ptBR[key];
    const b = en[key];
    assert.equal(typeof a, typeof b, key);
    const pa = new Set(texts(a).flatMap(holes));
    const pb = new Set(texts(b).flatMap(holes));
    assert.deepEqual([...pa].sort(), [...pb].sort(), `placeholders of ${key}`);
    for (const text of [...texts(a), ...texts(b)]) {
      assert.equal(typeof text, "string", key);
      assert.ok(text.trim().length > 0, `empty text in ${key}`);
    }
    if (typeof a !== "string") assert.ok("other" in a && "other" in /** @type {object} */ (b), `${key} needs "other"`);
  }
});

test("the strings the spec names exist in pt-BR", () => {
  const i = createI18n({ locale: "pt-BR" });
  assert.equal(i.t("rooms.newDm"), "Nova conversa");
  assert.equal(i.t("rooms.newRoom"), "Nova sala");
  assert.equal(i.t("history.newMessagesLine"), "Novas mensagens");
  assert.equal(i.t("history.newMessagesButton", { count: 5 }), "5 novas mensagens");
  assert.equal(i.t("history.newMessagesButton", { count: 1 }), "1 nova mensagem");
  assert.equal(i.t("day.today"), "Hoje");
  assert.equal(i.t("day.yesterday"), "Ontem");
  assert.equal(i.t("message.edited"), "(editada)");
  assert.equal(i.t("message.deleted"), "Mensagem apagada");
  assert.equal(i.t("message.failed"), "Não enviada — Tentar novamente");
  assert.equal(i.t("notifications.markAllRead"), "Marcar todas como lidas");
  assert.equal(i.t("connection.reconnecting"), "Reconectando…");
  assert.equal(i.t("audit.loadMore"), "Carregar mais");
});

test("plurals: zero is written out although pt counts 0 as 'one'", () => {
  const pt = createI18n({ locale: "pt-BR" });
  assert.equal(new Intl.PluralRules("pt-BR").select(0), "one");
  assert.equal(pt.t("unread.total", { count: 0 }), "Nenhuma mensagem não lida");
  assert.equal(pt.t("unread.total", { count: 1 }), "1 mensagem não lida");
  assert.equal(pt.t("unread.total", { count: 2 }), "2 mensagens não lidas");
  assert.equal(pt.t("unread.total", { count: 1234 }), "1.234 mensagens não lidas");
  const e = createI18n({ locale: "en" });
  assert.equal(e.t("unread.total", { count: 0 }), "No unread messages");
  assert.equal(e.t("unread.total", { count: 1 }), "1 unread message");
  assert.equal(e.t("unread.total", { count: 1234 }), "1,234 unread messages");
  // A plural entry without a count, or with garbage, falls back to "other" without a crash.
  assert.equal(pt.t("unread.total"), "{count} mensagens não lidas");
  assert.equal(pt.t("unread.total", { count: "x" }), "x mensagens não lidas");
});

test("typing line joins names with Intl.ListFormat", () => {
  const pt = createI18n({ locale: "pt-BR" });
  assert.equal(pt.typing([]), "");
  assert.equal(pt.typing(["Ana"]), "Ana está digitando…");
  assert.equal(pt.typing(["Ana", "Bruno"]), "Ana e Bruno estão digitando…");
  assert.equal(pt.typing(["Ana", "Bruno", "Carla"]), "Ana, Bruno e Carla estão digitando…");
  assert.equal(pt.typing(["Ana", "Ana", ""]), "Ana está digitando…");
  assert.equal(pt.typing(["A", "B", "C", "D"]), "Várias pessoas estão digitando…");
  const e = createI18n({ locale: "en" });
  assert.equal(e.typing(["Ana", "Bruno"]), "Ana and Bruno are typing…");
  assert.equal(e.typing(["Ana", "Bruno", "Carla"]), "Ana, Bruno, and Carla are typing…");
});

test("audit actions in words, unknown ones as their code", () => {
  const pt = createI18n({ locale: "pt-BR" });
  assert.equal(pt.auditAction("room.created"), "Sala criada");
  assert.equal(pt.auditAction("user.deactivated"), "Usuário desativado");
  assert.equal(pt.auditAction("audit.exported"), "Auditoria exportada");
  assert.equal(pt.auditAction("something.new"), "something.new");
  assert.equal(createI18n({ locale: "en" }).auditAction("member.added"), "Member added");
});

test("error messages by code, with the Retry-After seconds", () => {
  const pt = createI18n({ locale: "pt-BR" });
  assert.equal(pt.errorMessage({ code: "rate_limited", retryAfter: 3 }), "Muitas ações seguidas. Tente de novo em 3 segundos.");
  assert.equal(pt.errorMessage({ code: "rate_limited", retryAfter: null }), "Muitas ações seguidas. Tente de novo em 1 segundo.");
  assert.equal(pt.errorMessage({ code: "not_found" }), "Não encontrado: talvez tenha sido removido.");
  assert.equal(pt.errorMessage({ code: "teapot" }), "Algo deu errado. Tente de novo.");
  assert.equal(pt.errorMessage(null), "Algo deu errado. Tente de novo.");
});

test("missing keys fall back to pt-BR, then to the key; placeholders are safe", () => {
  const partial = { ...CATALOGUES, en: { "only.en": "Hi {name}, {unknown}" } };
  const e = createI18n({ locale: "en", catalogues: partial });
  assert.equal(e.t("day.today"), "Hoje");
  assert.equal(e.t("no.such.key"), "no.such.key");
  assert.equal(e.t("only.en", { name: "<b>Ana</b>" }), "Hi <b>Ana</b>, {unknown}");
  assert.equal(e.has("only.en"), true);
  assert.equal(e.has("nope"), false);
  // Keys inherited from Object.prototype are not entries.
  assert.equal(e.t("toString"), "toString");
  assert.equal(e.t("only.en", { name: "x", constructor: "y" }), "Hi x, {unknown}");
});

test("lists and numbers follow the locale", () => {
  assert.equal(createI18n({ locale: "pt-BR" }).list(["a", "b"], "disjunction"), "a ou b");
  assert.equal(createI18n({ locale: "en" }).number(12345.5), "12,345.5");
  assert.equal(createI18n({ locale: "pt-BR" }).number(12345.5), "12.345,5");
});
