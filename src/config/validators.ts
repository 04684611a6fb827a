/** The envalid validators the sections share, so one kind of value is checked (and worded) one way. */
import { makeValidator } from 'envalid';

export const int = (min: number, max: number) =>
  makeValidator<number>((raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Error(`must be a whole number from ${min} to ${max}`);
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`must be a whole number from ${min} to ${max}`);
    return value;
  });

export const httpUrl = makeValidator<string>((raw) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must be an absolute http(s) URL');
  return raw.replace(/\/+$/, '');
});

export const nonEmpty = makeValidator<string>((raw) => {
  if (raw.trim() === '') throw new Error('must not be empty');
  return raw;
});

export const secret = makeValidator<string>((raw) => {
  if (raw.length < 16) throw new Error('must be at least 16 characters');
  return raw;
});
