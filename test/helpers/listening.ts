/**
 * The TCP sockets a set of processes listens on, read from Linux's /proc (an oracle
 * that shares nothing with the code that opens them): /proc/net/tcp and tcp6 list
 * every socket with its inode, and /proc/<pid>/fd links name the inodes a process holds.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A listening socket: its address as text (`127.0.0.1`, `::ffff:127.0.0.1`, `::`, …) and port. */
export interface Listening {
  pid: number;
  address: string;
  port: number;
}

function ipv4(hex: string): string {
  // Little-endian bytes of the address, as the kernel prints them.
  return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
}

function ipv6(hex: string): string {
  // Four 32-bit words, each little-endian.
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (const i of [3, 2, 1, 0]) bytes.push(parseInt(word.slice(i * 2, i * 2 + 2), 16));
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  if (bytes.every((b) => b === 0)) return '::';
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return '::1';
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return groups.join(':');
}

/** Inode → [address, port] of every socket in LISTEN state (state 0A). */
function listeningSockets(): Map<string, [string, number]> {
  const out = new Map<string, [string, number]>();
  for (const [file, decode] of [
    ['/proc/net/tcp', ipv4],
    ['/proc/net/tcp6', ipv6],
  ] as const) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue;
      const [addr, port] = (f[1] as string).split(':') as [string, string];
      out.set(f[9] as string, [decode(addr), parseInt(port, 16)]);
    }
  }
  return out;
}

/** Every TCP socket the processes `pids` listen on. */
export function listeningOf(pids: number[]): Listening[] {
  const sockets = listeningSockets();
  const found: Listening[] = [];
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue; // closed meanwhile
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      const socket = inode ? sockets.get(inode) : undefined;
      if (socket) found.push({ pid, address: socket[0], port: socket[1] });
    }
  }
  return found;
}
