// Numbers and identifiers as people read them, shared by the account sections and the screens.

/** A byte count as "1.2 MB"; null when it is not a count. */
export function formatBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return null;
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString()} ${units[i]}`;
}

/** A DID (did:method:…), as typed into a form. */
export const LOOKS_LIKE_DID = /^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$/;
