/**
 * The dialog identifier: RFC 3261 §12 "A dialog is identified … by a Call-ID value, a local
 * tag and a remote tag". A proxy has no local side, so we use From tag then To tag.
 *
 * Tags are tokens (RFC 3261 §25.1) and cannot contain ':', so the last two ':' always
 * separate the tags even though a Call-ID may contain ':'. An early attempt without a
 * To tag yet ends with ':'.
 */
export function dialogId(callId: string, fromTag: string, toTag: string | null): string {
  return `${callId}:${fromTag}:${toTag ?? ''}`;
}

/** The Call-ID of a dialog id (everything before the last two ':'). */
export function callIdOfDialogId(id: string): string {
  const last = id.lastIndexOf(':');
  const prev = last <= 0 ? -1 : id.lastIndexOf(':', last - 1);
  return prev < 0 ? id : id.slice(0, prev);
}
