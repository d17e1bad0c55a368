// <admin-room-editor>: one room of the account opened from the console (admins, supervisors:
// the contract's manager exception — no membership needed, every action audited by the API).
// A modal <dialog>: rename, members (add from the directory with a role, remove), archive
// behind a confirmation. Fires `room-changed` (detail: the room), `room-archived` (detail:
// its id) so the list can follow, and `room-editor-closed` when the control that opened it is
// gone (the list then places the focus).
//
// Roles are chosen when a member is added: the API has no role change for an existing member
// (adding one is a no-op), and removing and adding again would lose their read position.

import { AdminUserPicker } from "./user-picker.js";
import { AdminConfirm } from "./confirm-dialog.js";
import { h, uid } from "./dom.js";

/** @typedef {import("./context.js").AdminContext} AdminContext */
/** @typedef {import("../types.js").Room} Room */
/** @typedef {import("../types.js").Member} Member */

const ROLES = /** @type {const} */ (["member", "moderator", "owner"]);

export class AdminRoomEditor extends HTMLElement {
  /** @type {AdminContext | null} */
  #ctx = null;
  /** @type {Room | null} */
  #room = null;
  /** @type {Member[]} */
  #members = [];
  /** @type {HTMLElement | null} */
  #returnTo = null;
  #dialog = h("dialog", { class: "room-editor" });
  #title = h("h2", { class: "dialog-title" });
  #status = h("p", { class: "view-status", role: "status" });
  #name = h("input", { type: "text", maxlength: 80, required: true, autocomplete: "off" });
  #memberRows = h("tbody");
  #memberHeading = h("h3");
  #picker = new AdminUserPicker();
  #role = h("select");
  #confirm = new AdminConfirm();

  /** @param {AdminContext} ctx */
  configure(ctx) {
    this.#ctx = ctx;
    const { i18n } = ctx;
    const titleId = uid("room-title");
    this.#title.id = titleId;
    this.#dialog.setAttribute("aria-labelledby", titleId);

    const nameId = uid("room-name");
    this.#name.id = nameId;
    const rename = h("form", { class: "rename" }, [
      h("div", { class: "field" }, [h("label", { for: nameId, text: i18n.t("rooms.newRoom.name") }), this.#name]),
      h("div", { class: "field actions" }, [h("button", { type: "submit", class: "button primary", text: i18n.t("rooms.rename") })]),
    ]);
    rename.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.#rename();
    });

    this.#picker.configure({ ctx, label: i18n.t("adminRooms.addPerson"), exclude: () => this.#members.map((m) => m.user_id) });
    const roleId = uid("room-role");
    this.#role.id = roleId;
    this.#role.replaceChildren(...ROLES.map((r) => h("option", { value: r, text: i18n.t(`role.${r}`) })));
    const add = h("form", { class: "add-member" }, [
      h("div", { class: "field" }, [this.#picker]),
      h("div", { class: "field" }, [h("label", { for: roleId, text: i18n.t("adminRooms.role") }), this.#role]),
      h("div", { class: "field actions" }, [h("button", { type: "submit", class: "button", text: i18n.t("rooms.addMembers") })]),
    ]);
    add.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.#add();
    });

    const membersTable = h("table", { class: "members-table" }, [
      h("thead", {}, [
        h("tr", {}, [
          h("th", { scope: "col", text: i18n.t("adminRooms.person") }),
          h("th", { scope: "col", text: i18n.t("adminRooms.role") }),
          h("th", { scope: "col", text: i18n.t("adminRooms.actions") }),
        ]),
      ]),
      this.#memberRows,
    ]);

    const archive = h("button", { type: "button", class: "button danger", text: i18n.t("rooms.archive") });
    archive.addEventListener("click", () => void this.#archive());
    const close = h("button", { type: "button", class: "button", text: i18n.t("dialog.close") });
    close.addEventListener("click", () => this.#dialog.close());
    this.#dialog.addEventListener("close", () => {
      const back = this.#returnTo;
      this.#returnTo = null;
      if (back?.isConnected) back.focus();
      // The row was redrawn (renamed) or removed (archived): the list puts the focus back.
      else this.dispatchEvent(new CustomEvent("room-editor-closed", { detail: this.#room?.id ?? null, bubbles: true }));
    });

    this.#dialog.replaceChildren(
      h("div", { class: "dialog-head" }, [this.#title, close]),
      this.#status,
      h("section", { class: "dialog-section", "aria-label": i18n.t("rooms.rename") }, [rename]),
      h("section", { class: "dialog-section" }, [this.#memberHeading, membersTable, add]),
      h("section", { class: "dialog-section danger-zone", "aria-label": i18n.t("rooms.archive") }, [archive]),
    );
    this.replaceChildren(this.#dialog, this.#confirm);
  }

  /**
   * Opens a room: loads it with its members and shows the dialog.
   *
   * @param {Room} room as the list has it
   */
  async open(room) {
    const ctx = this.#ctx;
    if (!ctx) return;
    this.#returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.#room = room;
    this.#members = [];
    this.#title.textContent = room.name ?? "";
    this.#name.value = room.name ?? "";
    this.#picker.value = null;
    this.#memberRows.replaceChildren();
    this.#memberHeading.textContent = ctx.i18n.t("rooms.members");
    this.#status.textContent = ctx.i18n.t("app.loading");
    if (!this.#dialog.open) this.#dialog.showModal();
    try {
      const full = await ctx.client.getRoom(room.id);
      if (this.#room?.id !== room.id) return;
      this.#room = full;
      this.#title.textContent = full.name ?? "";
      this.#name.value = full.name ?? "";
      this.#showMembers(full.members ?? []);
      this.#status.textContent = "";
    } catch (error) {
      this.#fail(error);
    }
  }

  /** @param {Member[]} members */
  #showMembers(members) {
    const ctx = this.#ctx;
    if (!ctx) return;
    const { i18n } = ctx;
    this.#members = members;
    this.#memberHeading.textContent = `${i18n.t("rooms.members")} (${i18n.number(members.length)})`;
    this.#memberRows.replaceChildren(
      ...members.map((m) => {
        const name = h("td", { text: ctx.names.peek(m.user_id) ?? i18n.t("message.unknownUser", { id: m.user_id }) });
        const remove = h("button", { type: "button", class: "button link", "data-user-id": m.user_id, text: i18n.t("adminRooms.remove") });
        const label = () => remove.setAttribute("aria-label", i18n.t("rooms.removeMember", { name: name.textContent ?? "" }));
        label();
        ctx.names.name(m.user_id).then(
          (n) => {
            if (n) {
              name.textContent = n;
              label();
            }
          },
          () => {},
        );
        remove.addEventListener("click", () => void this.#remove(m.user_id, name.textContent ?? ""));
        return h("tr", { "data-user-id": m.user_id }, [name, h("td", { text: i18n.t(`role.${m.role}`) }), h("td", {}, [remove])]);
      }),
    );
  }

  async #rename() {
    const ctx = this.#ctx;
    const room = this.#room;
    if (!ctx || !room) return;
    const name = this.#name.value.trim();
    if (name === "" || name === room.name) return;
    try {
      const updated = await ctx.client.renameRoom(room.id, name);
      this.#room = { ...room, ...updated };
      this.#title.textContent = updated.name ?? name;
      this.#status.textContent = ctx.i18n.t("adminRooms.renamed", { room: updated.name ?? name });
      this.dispatchEvent(new CustomEvent("room-changed", { detail: this.#room, bubbles: true }));
    } catch (error) {
      this.#fail(error);
    }
  }

  async #add() {
    const ctx = this.#ctx;
    const room = this.#room;
    const user = this.#picker.value;
    if (!ctx || !room) return;
    if (!user) {
      this.#status.textContent = ctx.i18n.t("adminRooms.pickFirst");
      this.#picker.input.focus();
      return;
    }
    const role = /** @type {"member" | "moderator" | "owner"} */ (this.#role.value);
    try {
      const page = await ctx.client.addMembers(room.id, [user.userId], role);
      this.#showMembers(page.items);
      this.#picker.value = null;
      this.#status.textContent = ctx.i18n.t("adminRooms.added", { name: user.name });
      this.#changed(page.items.length);
    } catch (error) {
      this.#fail(error);
    }
  }

  /**
   * @param {number} userId
   * @param {string} name
   */
  async #remove(userId, name) {
    const ctx = this.#ctx;
    const room = this.#room;
    if (!ctx || !room) return;
    try {
      await ctx.client.removeMember(room.id, userId);
      const members = this.#members.filter((m) => m.user_id !== userId);
      this.#showMembers(members);
      this.#status.textContent = ctx.i18n.t("adminRooms.removed", { name });
      this.#changed(members.length);
      this.#picker.input.focus();
    } catch (error) {
      this.#fail(error);
    }
  }

  /** @param {number} count */
  #changed(count) {
    if (!this.#room) return;
    this.#room = { ...this.#room, member_count: count };
    this.dispatchEvent(new CustomEvent("room-changed", { detail: this.#room, bubbles: true }));
  }

  async #archive() {
    const ctx = this.#ctx;
    const room = this.#room;
    if (!ctx || !room) return;
    const yes = await this.#confirm.ask({
      message: ctx.i18n.t("rooms.archive.confirm", { room: room.name ?? "" }),
      confirm: ctx.i18n.t("rooms.archive"),
      cancel: ctx.i18n.t("dialog.cancel"),
      danger: true,
    });
    if (!yes) return;
    try {
      await ctx.client.archiveRoom(room.id);
      this.dispatchEvent(new CustomEvent("room-archived", { detail: room.id, bubbles: true }));
      ctx.announce(ctx.i18n.t("adminRooms.archived", { room: room.name ?? "" }));
      this.#dialog.close();
    } catch (error) {
      this.#fail(error);
    }
  }

  /** @param {unknown} error */
  #fail(error) {
    const ctx = this.#ctx;
    if (!ctx) return;
    if (ctx.onError(error)) {
      this.#dialog.close();
      return;
    }
    this.#status.textContent = ctx.i18n.errorMessage(/** @type {any} */ (error));
  }
}

customElements.define("admin-room-editor", AdminRoomEditor);
