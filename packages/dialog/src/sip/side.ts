/** The two parties of a dialog as the proxy sees them: the UAC of the INVITE and the UAS. */
export type DialogSideName = 'caller' | 'callee';

export function otherSide(side: DialogSideName): DialogSideName {
  return side === 'caller' ? 'callee' : 'caller';
}
