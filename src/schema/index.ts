/** Assembles the schema; importing a module registers its types on the builder. */
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './mss-error.js';
import './asset.js';
import './job.js';
import './create-job.js';
import './queries.js';
import './subscription.js';
import './create-queue.js';
import './job-updates.js';
import './jobs-connection.js';

let schema: GraphQLSchema | undefined;

export function buildSchema(): GraphQLSchema {
  schema ??= builder.toSchema();
  return schema;
}

/** The checked-in schema.graphql: printed, lexicographically sorted. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(buildSchema()))}\n`;
}
