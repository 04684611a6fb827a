import type { DigitalAssetSummary } from '../metastudio/types.js';
import { builder } from './builder.js';

export const DigitalAssetRef = builder.objectRef<DigitalAssetSummary>('DigitalAsset').implement({
  description: 'A MetaStudio asset, from ListAssetSummary',
  fields: (t) => ({
    assetId: t.exposeID('asset_id'),
    assetName: t.string({ nullable: true, resolve: (a) => a.asset_name ?? null }),
    assetState: t.string({ nullable: true, resolve: (a) => a.asset_state ?? null }),
    assetType: t.string({ nullable: true, resolve: (a) => a.asset_type ?? null }),
    coverUrl: t.string({ nullable: true, resolve: (a) => a.cover_url ?? null }),
    thumbnailUrl: t.string({ nullable: true, resolve: (a) => a.thumbnail_url ?? null }),
  }),
});
