// The room menu, by permission, as a modal dialog: rename (admins, supervisors, the room's
// owners and moderators), members — list with roles, remove, add with a role — (the same),
// leave (any member of a team room) and archive (admins, supervisors), the last two confirmed.

import { h, openModal, uid } from "./dom.js";
import { roomMenu } from "../lib/permissions.js";
import { confirmDialog } from "./confirm-dialog.js";
import "./user-picker.js";

/** @typedef {import("./store.js").ChatStore} ChatStore */
/** @typedef {import("./user-picker.js").ChatUserPicker} ChatUserPicker */

/** @param {ChatStore} store */
export function roomSettingsDialog(store) {
  const entry = store.current;
  if (!entry) return;
  const { t } = store.i18n;
  const roomId = entry.room.id;
  const allowed = roomMenu(entry.room, { accountRole: store.accountRole, roomRole: store.roomRole });
  const titleId = uid("dialog-title");
  const roomName = store.roomName(entry);
  const dialog = h("dialog", { class: "dialog room-settings", "aria-labelledby": titleId }, [h("h2", { id: titleId, text: t("rooms.settings", { room: roomName }) })]);
  const close = h("button", { type: "button", class: "button secondary", "data-action": "close", text: t("dialog.close") });
  close.addEventListener("click", () => dialog.close());
  const error = h("p", { class: "form-error", role: "alert" });
  /** @param {CustomEvent} e */
  const onProblem = (e) => {
    error.textContent = e.detail.message;
  };
  store.addEventListener("problem", /** @type {EventListener} */ (onProblem));
  dialog.addEventListener("close", () => store.removeEventListener("problem", /** @type {EventListener} */ (onProblem)));

  if (allowed.rename) {
    const id = uid("rename");
    const input = h("input", { id, type: "text", maxlength: 80, value: entry.room.name ?? "", autocomplete: "off" });
    const save = h("button", { type: "button", class: "button primary", "data-action": "rename", text: t("composer.save") });
    save.addEventListener("click", async () => {
      const name = input.value.trim();
      if (name !== "" && (await store.renameRoom(roomId, name))) error.textContent = "";
    });
    dialog.append(h("section", { class: "field" }, [h("h3", { text: t("rooms.rename") }), h("label", { for: id, text: t("rooms.newRoom.name") }), h("div", { class: "inline" }, [input, save])]));
  }

  if (allowed.members) {
    const list = h("ul", { class: "member-list" });
    const renderMembers = () => {
      const members = store.rooms.get(roomId)?.members ?? [];
      list.replaceChildren(
        ...members.map((m) => {
          const name = m.user_id === store.selfId ? t("rooms.members.you", { name: store.nameOf(m.user_id) }) : store.nameOf(m.user_id);
          const li = h("li", {}, [h("span", { class: "member-name", text: name }), h("span", { class: "member-role", text: t(`role.${m.role}`) })]);
          if (m.user_id !== store.selfId) {
            const remove = h("button", { type: "button", class: "button small danger", text: t("rooms.removeMember", { name: store.nameOf(m.user_id) }) });
            remove.addEventListener("click", async () => {
              if (await store.removeMember(roomId, m.user_id)) renderMembers();
            });
            li.append(remove);
          }
          return li;
        }),
      );
    };
    renderMembers();
    const roleId = uid("role");
    const role = h("select", { id: roleId }, ["member", "moderator", "owner"].map((r) => h("option", { value: r, text: t(`role.${r}`) })));
    const picker = /** @type {ChatUserPicker} */ (document.createElement("chat-user-picker"));
    const section = h("section", { class: "field" }, [
      h("h3", { text: t("rooms.members") }),
      list,
      h("h3", { text: t("rooms.addMembers") }),
      h("label", { for: roleId, text: t("rooms.addMembers.role") }),
      role,
      picker,
    ]);
    dialog.append(section);
    picker.setup(store, { label: t("rooms.newDm.search"), actionText: t("rooms.newRoom.add"), exclude: (store.rooms.get(roomId)?.members ?? []).map((m) => m.user_id) });
    picker.addEventListener("pick", async (e) => {
      const user = /** @type {CustomEvent} */ (e).detail;
      if (await store.addMembers(roomId, [user.user_id], /** @type {"owner" | "moderator" | "member"} */ (role.value))) {
        picker.exclude.add(user.user_id);
        renderMembers();
      }
    });
  }

  const actions = h("div", { class: "dialog-buttons" });
  if (allowed.leave) {
    const leave = h("button", { type: "button", class: "button danger", "data-action": "leave", text: t("rooms.leave") });
    leave.addEventListener("click", async () => {
      if (await confirmDialog({ text: t("rooms.leave.confirm", { room: roomName }), confirm: t("rooms.leave"), cancel: t("dialog.cancel") })) {
        if (await store.removeMember(roomId, store.selfId)) dialog.close();
      }
    });
    actions.append(leave);
  }
  if (allowed.archive) {
    const archive = h("button", { type: "button", class: "button danger", "data-action": "archive", text: t("rooms.archive") });
    archive.addEventListener("click", async () => {
      if (await confirmDialog({ text: t("rooms.archive.confirm", { room: roomName }), confirm: t("rooms.archive"), cancel: t("dialog.cancel") })) {
        if (await store.archiveRoom(roomId)) dialog.close();
      }
    });
    actions.append(archive);
  }
  actions.append(close);
  dialog.append(error, actions);
  openModal(dialog, close);
}
