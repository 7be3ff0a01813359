-- Format-on-save through `dffix -` (no language server), the way conform.nvim-style
-- formatters run it: the buffer goes to stdin, and is replaced by stdout only when
-- dffix exits 0. On a file that does not parse dffix prints nothing and exits 2: the
-- buffer is saved as it is, and the error goes to :messages.
--
-- With conform.nvim the same is:
--   formatters_by_ft = { dockerfile = { 'dffix' } },
--   formatters = { dffix = { command = 'dffix', args = { '-', '--stdin-filename', '$FILENAME' } } },

local M = {}

function M.format(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local cmd = vim.g.dffix_stdin_cmd or { 'dffix' }
  local argv = vim.list_extend(vim.deepcopy(cmd), { '-', '--stdin-filename', vim.api.nvim_buf_get_name(bufnr) })
  local out = vim.fn.systemlist(argv, lines)
  if vim.v.shell_error ~= 0 then
    vim.notify('dffix: ' .. table.concat(out, ' '), vim.log.levels.WARN)
    return
  end
  if not vim.deep_equal(out, lines) then
    vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, out)
  end
end

vim.api.nvim_create_autocmd('BufWritePre', {
  group = vim.api.nvim_create_augroup('dffix_stdin', { clear = true }),
  callback = function(args)
    if vim.bo[args.buf].filetype == 'dockerfile' then
      M.format(args.buf)
    end
  end,
})

return M
