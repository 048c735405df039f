import { commitSql } from "../sql/commit.js";
import { resumeSql } from "../sql/resume.js";
import { runsSql } from "../sql/runs.js";
import { sharedSql } from "../sql/shared.js";
import { tablesSql } from "../sql/tables.js";

/**
 * Migration 1: the tables and the functions of every state change, one file of ../sql/ per
 * concern. Once released, this text is frozen: a change to a table or a function is a new
 * migration (ALTER / CREATE OR REPLACE), never an edit here.
 */
export function initialSchema(schema: string): string {
  return [tablesSql, sharedSql, runsSql, commitSql, resumeSql].map((part) => part(schema)).join("\n");
}
