// Opens idle MQTT 3.1.1 connections to a broker and keeps them alive with PINGREQ; run in its own process so the
// broker's process holds only the server side. argv: port count keepAliveSeconds. Prints progress as JSON lines.
import { connect } from 'node:net';

const [port, count, keepAlive] = process.argv.slice(2).map(Number);
const BATCH = 200;

function connectPacket(clientId) {
  const id = Buffer.from(clientId);
  const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, keepAlive >> 8, keepAlive & 0xff]);
  const body = Buffer.concat([variable, Buffer.from([id.length >> 8, id.length & 0xff]), id]);
  const length = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 128;
    length.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x10, ...length]), body]);
}

const sockets = [];
let connected = 0;
let failed = 0;

function open(i) {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    let acknowledged = false;
    socket.once('connect', () => socket.write(connectPacket(`idle-${process.pid}-${i}`)));
    socket.on('data', (data) => {
      if (!acknowledged && data[0] === 0x20 && data[3] === 0) {
        acknowledged = true;
        connected += 1;
        sockets.push(socket);
        resolve();
      }
    });
    socket.on('error', () => {
      if (!acknowledged) {
        failed += 1;
        resolve();
      }
    });
    socket.on('close', () => {
      if (acknowledged) connected -= 1;
    });
    setTimeout(() => {
      if (!acknowledged) {
        failed += 1;
        socket.destroy();
        resolve();
      }
    }, 10_000);
  });
}

const started = Date.now();
for (let i = 0; i < count; i += BATCH) {
  await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => open(i + j)));
  process.stdout.write(`${JSON.stringify({ connected, failed, ms: Date.now() - started })}\n`);
}
const ping = Buffer.from([0xc0, 0]);
setInterval(
  () => {
    for (const socket of sockets) socket.write(ping);
  },
  (keepAlive * 1000) / 2,
);
process.stdout.write(`${JSON.stringify({ done: true, connected, failed, ms: Date.now() - started })}\n`);
process.on('message', () => {});
