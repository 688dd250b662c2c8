/** The uploads contract (shared/contracts/uploads.ts) answered by the UploadStore, per caller. */
import type { uploadsContract } from '../../../shared/contracts/uploads';
import { AppError } from '../../../shared/errors';
import type { Handlers } from '../rpc/index';
import type { UploadStore } from './uploads';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function uploadHandlers(store: UploadStore): Handlers<typeof uploadsContract> {
  return {
    'uploads:begin': (i, ctx) => store.begin(ctx.owner, i),
    'uploads:chunk': async (i, ctx) => {
      // Buffer.from would skip what is not base64 and write a shorter, wrong chunk.
      if (i.base64.length % 4 !== 0 || !BASE64.test(i.base64))
        throw new AppError('INVALID_ARGUMENT', 'The chunk is not base64; send the file again.');
      const r = await store.append(ctx.owner, i.id, i.offset, Buffer.from(i.base64, 'base64'));
      return { received: r.received, size: r.size, checked: r.finished?.checked ?? null };
    },
    'uploads:cancel': async (i, ctx) => ({ removed: await store.discard(ctx.owner, i.id) }),
  };
}
