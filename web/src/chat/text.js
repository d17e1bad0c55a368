// A message's text cut into plain runs and `@Name` mentions of the room's members, so the
// history can highlight mentions without parsing HTML. Pure (no DOM).

/**
 * @typedef {{text: string, mention: false} | {text: string, mention: true, self: number}} Segment
 * `self` is the mentioned user's id.
 */

/**
 * @param {string} text
 * @param {readonly {user_id: number, name: string}[]} members
 * @returns {Segment[]}
 */
export function mentionSegments(text, members) {
  const names = [...members].filter((m) => m && typeof m.name === "string" && m.name.trim() !== "").sort((a, b) => b.name.length - a.name.length);
  /** @type {Segment[]} */
  const out = [];
  let plain = "";
  let i = 0;
  outer: while (i < text.length) {
    if (text[i] === "@" && (i === 0 || !/[\p{L}\p{N}_]/u.test(text[i - 1]))) {
      for (const m of names) {
        const needle = `@${m.name}`;
        const end = i + needle.length;
        if (text.startsWith(needle, i) && (end === text.length || !/[\p{L}\p{N}_]/u.test(text[end]))) {
          if (plain) out.push({ text: plain, mention: false });
          plain = "";
          out.push({ text: needle, mention: true, self: m.user_id });
          i = end;
          continue outer;
        }
      }
    }
    plain += text[i];
    i += 1;
  }
  if (plain) out.push({ text: plain, mention: false });
  return out;
}
