import fs from 'node:fs';
import { createRequire } from 'node:module';
import QRCode from 'qrcode';

/**
 * What a store prints: the code's QR as a PNG (for stickers and the merchant's own designs) and a
 * ready poster as a PDF (A5 or A6) with the merchant's and the counter's names, a big vector QR and
 * the methods the payer can use, in Chinese. pdfkit embeds only the glyphs the poster uses, so a
 * poster is a few tens of KB although the CJK fonts are ~10 MB each.
 */

/** The QR's options: level M survives a smudged or partly covered sticker; tests regenerate with them. */
export const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 2 } as const;
export const QR_PNG_DEFAULT_WIDTH = 600;
export const QR_PNG_MIN_WIDTH = 128;
export const QR_PNG_MAX_WIDTH = 2048;

export function qrPng(url: string, width = QR_PNG_DEFAULT_WIDTH): Promise<Buffer> {
  return QRCode.toBuffer(url, { ...QR_OPTIONS, type: 'png', width });
}

export const POSTER_SIZES = ['A5', 'A6'] as const;
export type PosterSize = (typeof POSTER_SIZES)[number];

export interface PosterMethod {
  name: string;
  /** A wallet app the payer scans with (支付宝, 微信, 云闪付), not some other product. */
  wallet: boolean;
}

export interface PosterInput {
  url: string;
  code: string;
  merchantName: string;
  codeName: string;
  /** The methods, in display order: a wallet's name (支付宝, 微信…) when the product is one, else the product's. */
  methods: PosterMethod[];
  size: PosterSize;
}

// ---------- fonts: read once per process, on first use ----------

const require = createRequire(import.meta.url);
const FONT_FILES = {
  regular: '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf',
  bold: '@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf',
} as const;
let fonts: Promise<{ regular: Buffer; bold: Buffer }> | null = null;

function loadFonts() {
  fonts ??= Promise.all([
    fs.promises.readFile(require.resolve(FONT_FILES.regular)),
    fs.promises.readFile(require.resolve(FONT_FILES.bold)),
  ]).then(
    ([regular, bold]) => ({ regular, bold }),
    (error: unknown) => {
      fonts = null; // a failed read is tried again by the next poster
      throw error;
    },
  );
  return fonts;
}

// ---------- the poster ----------

/** Points per millimetre-free design unit: the layout is drawn for A5 (420 pt wide) and scaled. */
const DESIGN_WIDTH = 420;
const BRAND = '#1677ff';
const INK = '#1f2329';
const MUTED = '#8f959e';

/**
 * The lines under the QR: the wallets by name when every method is one ("请使用支付宝 / 微信扫码付款"),
 * else a general line and the methods' names.
 */
export function methodsLine(methods: PosterMethod[]): { headline: string; detail: string } {
  const names = [...new Set(methods.map((m) => m.name))];
  if (names.length > 0 && methods.every((m) => m.wallet)) {
    return { headline: `请使用${names.join(' / ')}扫码付款`, detail: '' };
  }
  return { headline: '请使用手机扫码付款', detail: names.length > 0 ? `支持：${names.join(' · ')}` : '' };
}

/** The wallet a product is paid with, by the usual words in its code; null for other products. */
export function walletOf(productCode: string): string | null {
  const code = productCode.toLowerCase();
  if (/alipay|ali_|^ali/.test(code)) return '支付宝';
  if (/wechat|weixin|^wx|_wx/.test(code)) return '微信';
  if (/unionpay|ysf|union/.test(code)) return '云闪付';
  return null;
}

export async function posterPdf(input: PosterInput): Promise<Buffer> {
  const { regular, bold } = await loadFonts();
  // Loaded at the first poster, like the fonts: pdfkit is ~20 MB resident that most processes never use.
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({
    size: input.size,
    margin: 0,
    lang: 'zh-CN',
    info: {
      Title: `${input.merchantName} · ${input.codeName} 收款码`,
      Creator: 'Qingyun Pay',
      Producer: 'Qingyun Pay',
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });
  doc.registerFont('regular', regular);
  doc.registerFont('bold', bold);
  drawPoster(doc, input);
  doc.end();
  await done;
  return Buffer.concat(chunks);
}

function drawPoster(doc: PDFKit.PDFDocument, input: PosterInput) {
  const width = doc.page.width;
  const height = doc.page.height;
  const s = width / DESIGN_WIDTH;
  const centered = (
    text: string,
    y: number,
    font: 'regular' | 'bold',
    size: number,
    color: string,
    box = width,
  ) => fitText(doc, text, (width - box) / 2, y, box, font, size * s, color);

  // The band with the merchant's and the counter's names.
  const bandHeight = 150 * s;
  doc.rect(0, 0, width, bandHeight).fill(BRAND);
  centered(input.merchantName, 30 * s, 'bold', 24, '#ffffff', width - 48 * s);
  centered(input.codeName, 66 * s, 'regular', 15, '#e6f0ff', width - 64 * s);

  // The card holding the QR, overlapping the band.
  const cardX = 36 * s;
  const cardY = 104 * s;
  const cardWidth = width - 2 * cardX;
  const cardHeight = height - cardY - 64 * s;
  doc.roundedRect(cardX, cardY, cardWidth, cardHeight, 14 * s).fill('#ffffff');
  doc
    .roundedRect(cardX, cardY, cardWidth, cardHeight, 14 * s)
    .lineWidth(0.8)
    .stroke('#e5e6eb');

  centered('扫码付款', cardY + 20 * s, 'bold', 20, INK);
  const qrSize = Math.min(cardWidth - 48 * s, cardHeight - 150 * s);
  const qrX = (width - qrSize) / 2;
  const qrY = cardY + 58 * s;
  drawQr(doc, input.url, qrX, qrY, qrSize);
  doc.link(qrX, qrY, qrSize, qrSize, input.url);

  const methods = methodsLine(input.methods);
  let y = qrY + qrSize + 14 * s;
  centered(methods.headline, y, 'regular', 13, INK, cardWidth - 24 * s);
  y += 20 * s;
  if (methods.detail) {
    centered(methods.detail, y, 'regular', 10.5, INK, cardWidth - 24 * s);
    y += 17 * s;
  }
  centered('① 扫一扫  ② 输入金额  ③ 确认付款', y, 'regular', 10.5, MUTED, cardWidth - 24 * s);

  // Footer: the code (to tell the stickers of one store apart) and who processes the payment.
  centered(`收款码编号 ${input.code}`, height - 52 * s, 'regular', 9, MUTED);
  centered('青云支付 提供支付服务', height - 34 * s, 'regular', 9, MUTED);
}

/**
 * One line of text, centered in a box: a long name is set smaller (down to 60 %) and cut with an
 * ellipsis rather than wrapped, so the layout below it never moves.
 */
function fitText(
  doc: PDFKit.PDFDocument,
  text: string,
  x: number,
  y: number,
  box: number,
  font: 'regular' | 'bold',
  size: number,
  color: string,
) {
  doc.font(font);
  let fontSize = size;
  while (fontSize > size * 0.6 && doc.fontSize(fontSize).widthOfString(text) > box) fontSize -= 0.5;
  doc
    .fontSize(fontSize)
    .fillColor(color)
    .text(text, x, y + (size - fontSize) / 2, {
      width: box,
      align: 'center',
      lineBreak: false,
      ellipsis: true,
    });
}

/** The QR as vector squares (sharp at any print size); each row's runs of dark modules are one rectangle. */
function drawQr(doc: PDFKit.PDFDocument, url: string, x: number, y: number, size: number) {
  const qr = QRCode.create(url, { errorCorrectionLevel: QR_OPTIONS.errorCorrectionLevel });
  const count = qr.modules.size;
  const quiet = QR_OPTIONS.margin;
  const cell = size / (count + 2 * quiet);
  doc.rect(x, y, size, size).fill('#ffffff');
  doc.save();
  for (let row = 0; row < count; row++) {
    let col = 0;
    while (col < count) {
      if (!qr.modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < count && qr.modules.get(row, col)) col++;
      // A hair of overlap hides the seams some viewers draw between touching rectangles.
      doc.rect(
        x + (quiet + start) * cell,
        y + (quiet + row) * cell,
        (col - start) * cell + 0.15,
        cell + 0.15,
      );
    }
  }
  doc.fill('#000000');
  doc.restore();
}
