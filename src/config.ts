// Kept so `./config.js` imports keep working; the sections live in src/config/.
export * from './config/index.js';
