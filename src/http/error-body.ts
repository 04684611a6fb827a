/** The JSON body of a refusal made outside GraphQL execution, in the GraphQL-over-HTTP error shape a client already reads. */
export const errorBody = (message: string, code: string): string => JSON.stringify({ errors: [{ message, extensions: { code } }] });
