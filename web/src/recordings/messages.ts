/** Strings of the recordings pages, en and zh-CN; `zhCN` is typed against `en`, so a missing key does not compile. */
export const en = {
  'rec.title': 'Cloud recordings',
  'rec.intro': 'Sealed in your browser before upload. The server stores only what it cannot open.',
  'rec.loading': 'Loading recordings…',
  'rec.empty': 'No cloud recordings yet.',
  'rec.usage': 'Storage used: you {user} ({userCount}), your organization {org} ({orgCount})',
  'rec.col.title': 'Title',
  'rec.col.meeting': 'Meeting',
  'rec.col.date': 'Date',
  'rec.col.duration': 'Duration',
  'rec.col.size': 'Size',
  'rec.col.actions': 'Actions',
  'rec.status.uploading': 'Uploading…',
  'rec.play': 'Play',
  'rec.download': 'Download',
  'rec.share': 'Share',
  'rec.shares': 'Share links',
  'rec.revoke': 'Revoke',
  'rec.revoked': 'revoked',
  'rec.expires': 'expires {date}',
  'rec.delete': 'Delete',
  'rec.deleteConfirm': 'Delete “{title}”? It cannot be recovered, not even from a backup.',
  'rec.shareCreated': 'Anyone with this link can watch until {date}. The key is in the part after #, which is never sent to the server.',
  'rec.shareExpiry': 'Link valid for',
  'rec.days': '{n} days',
  'rec.copy': 'Copy link',
  'rec.incomplete': 'This recording was cut short; it plays up to where the upload stopped.',
  'rec.noKey': 'This browser does not hold the key of this recording. Open it where it was recorded, or through a share link.',
  'rec.tampered': 'This recording does not open: the key is wrong or the file was altered.',
  'rec.gone': 'This link was revoked or has expired.',
  'rec.failed': 'Something went wrong: {message}',
  'rec.retention': 'Keep recordings for',
  'rec.retention.forever': 'until deleted',
  'rec.retention.save': 'Save',
  'rec.shared.title': 'Shared recording',
  'rec.shared.badLink': 'This link is incomplete: the key after # is missing.',
} as const;

export type RecMessageKey = keyof typeof en;

export const zhCN: Record<RecMessageKey, string> = {
  'rec.title': '云端录制',
  'rec.intro': '上传前已在你的浏览器中加密。服务器只保存它无法打开的内容。',
  'rec.loading': '正在加载录制…',
  'rec.empty': '还没有云端录制。',
  'rec.usage': '已用存储：你 {user}（{userCount} 个），你的组织 {org}（{orgCount} 个）',
  'rec.col.title': '标题',
  'rec.col.meeting': '会议',
  'rec.col.date': '日期',
  'rec.col.duration': '时长',
  'rec.col.size': '大小',
  'rec.col.actions': '操作',
  'rec.status.uploading': '正在上传…',
  'rec.play': '播放',
  'rec.download': '下载',
  'rec.share': '分享',
  'rec.shares': '分享链接',
  'rec.revoke': '撤销',
  'rec.revoked': '已撤销',
  'rec.expires': '{date} 过期',
  'rec.delete': '删除',
  'rec.deleteConfirm': '删除“{title}”？删除后无法恢复，备份中的副本也无法打开。',
  'rec.shareCreated': '持有此链接的任何人可在 {date} 前观看。密钥在 # 之后的部分，不会发送到服务器。',
  'rec.shareExpiry': '链接有效期',
  'rec.days': '{n} 天',
  'rec.copy': '复制链接',
  'rec.incomplete': '此录制被中断；可播放到上传停止处。',
  'rec.noKey': '此浏览器没有这个录制的密钥。请在录制它的浏览器中打开，或使用分享链接。',
  'rec.tampered': '此录制无法打开：密钥错误或文件已被篡改。',
  'rec.gone': '此链接已被撤销或已过期。',
  'rec.failed': '出错了：{message}',
  'rec.retention': '录制保留时长',
  'rec.retention.forever': '直到删除',
  'rec.retention.save': '保存',
  'rec.shared.title': '分享的录制',
  'rec.shared.badLink': '此链接不完整：缺少 # 之后的密钥。',
};

export type RecLang = 'en' | 'zh-CN';

/** The string for `key` in `lang`, `{name}` placeholders filled. */
export function rt(lang: RecLang, key: RecMessageKey, params?: Record<string, string | number>): string {
  const template = (lang === 'zh-CN' ? zhCN : en)[key];
  return params ? template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole)) : template;
}

/** 1.5 MB, 12 KB … in the language's number format. */
export function formatBytes(lang: RecLang, n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: i ? 1 : 0 }).format(v)} ${units[i]}`;
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x: number) => String(x).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
