// How an SMS body packs into segments: the same rules as the server's
// src/core/gsm7.c (sg_sms_analyze), so the Send page's counter agrees with the
// `segments` and `encoding` the API answers.
//
// - GSM-7 when every character is in the GSM 03.38 default alphabet (1 septet)
//   or its extension table (form feed ^ { } \ [ ~ ] | €: 2 septets); anything
//   else — backquote, ESC, DEL, most accented letters, emoji — makes the whole
//   body UCS-2.
// - Characters are Unicode code points; UCS-2 counts UTF-16 units (a character
//   above U+FFFF, e.g. an emoji, is 2).
// - One part holds 160 septets / 70 units; split, each part holds 153 / 67, and
//   a character is never split across two parts (an extension character or a
//   surrogate pair that does not fit opens the next part).

export const GSM7 = 'GSM-7';
export const UCS2 = 'UCS-2';
export const MAX_CHARS = 1600; // the API's limit (SG_SMS_MAX_CHARS), in characters

const LIMITS = {
  [GSM7]: { single: 160, part: 153 },
  [UCS2]: { single: 70, part: 67 },
};

// The default alphabet's characters, by code point (U+0000..U+00FF ones and
// the ten Greek capitals), and the extension table's.
const BASIC =
  '\n\r !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz' +
  '¡£¤¥§¿ÄÅÆÇÉÑÖØÜßàäåæèéìñòöøùü' +
  'ΓΔΘΛΞΠΣΦΨΩ';
const EXTENSION = '\f^{}\\[~]|€';

const SEPTETS = new Map();
for (const c of BASIC) SEPTETS.set(c.codePointAt(0), 1);
for (const c of EXTENSION) SEPTETS.set(c.codePointAt(0), 2);

/** Septets of one code point in GSM-7: 1, 2 (extension table) or 0 (not GSM). */
export function gsm7Septets(codePoint) {
  return SEPTETS.get(codePoint) ?? 0;
}

/** Running count of parts for characters of `cost` units, never split. */
function packer(perPart) {
  const p = { units: 0, parts: 0, fill: 0 };
  return {
    add(cost) {
      p.units += cost;
      if (p.parts === 0 || p.fill + cost > perPart) {
        p.parts++;
        p.fill = cost;
      } else {
        p.fill += cost;
      }
    },
    segments(single) {
      if (p.units === 0) return 0;
      return p.units <= single ? 1 : p.parts;
    },
    get units() {
      return p.units;
    },
  };
}

/**
 * Analyse a body: {encoding, chars, units, segments, perSegment, tooLong,
 * ucs2: [{index, char}]} where index is the character's position (in code
 * points) and ucs2 lists every character that forces UCS-2, in order.
 * perSegment is how many units one part holds at this length (160/153, 70/67).
 * @param {string} text
 */
export function analyzeSms(text) {
  const gsm = packer(LIMITS[GSM7].part);
  const ucs = packer(LIMITS[UCS2].part);
  const ucs2 = [];
  let chars = 0;
  for (const c of String(text ?? '')) {
    const cp = c.codePointAt(0);
    const septets = gsm7Septets(cp);
    if (septets === 0) ucs2.push({ index: chars, char: c });
    else gsm.add(septets);
    ucs.add(cp > 0xffff ? 2 : 1);
    chars++;
  }
  const encoding = ucs2.length ? UCS2 : GSM7;
  const used = encoding === GSM7 ? gsm : ucs;
  const { single, part } = LIMITS[encoding];
  return {
    encoding,
    chars,
    units: used.units,
    segments: used.segments(single),
    perSegment: used.units > single ? part : single,
    tooLong: chars > MAX_CHARS,
    ucs2,
  };
}

/**
 * The body cut into runs for display: [{text, ucs2}] where ucs2 runs are the
 * characters that force UCS-2 (each its own run, so each can be marked).
 * @param {string} text
 */
export function markUcs2(text) {
  const runs = [];
  let plain = '';
  for (const c of String(text ?? '')) {
    if (gsm7Septets(c.codePointAt(0)) === 0) {
      if (plain) runs.push({ text: plain, ucs2: false });
      plain = '';
      runs.push({ text: c, ucs2: true });
    } else {
      plain += c;
    }
  }
  if (plain) runs.push({ text: plain, ucs2: false });
  return runs;
}

/** Describe a character for people: "ł (U+0142)". */
export function describeChar(c) {
  const hex = c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
  const visible = /^[\s\p{Cc}]$/u.test(c) ? '' : `${c} `;
  return `${visible}(U+${hex})`;
}
