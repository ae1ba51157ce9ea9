// The summary's escaping, cell by cell: the action's words show as plain text on one line (a
// block marker at their start escaped, a module at a version in a code span), quoted words in a
// code span no run of backticks in them can close, HTML where markdown is not read. Exact
// strings; summary-render.test.ts renders whole summaries with GitHub's markdown.
import { describe, expect, it } from 'vitest'
import { html, markdown } from '../src/report/markdown.ts'
import { quoted } from '../src/report/model.ts'

describe('the action’s words', () => {
  it('escape a block marker only at the start of the text', () => {
    expect(markdown('# not a heading')).toBe('\\# not a heading')
    expect(markdown('- not a list, = and + neither')).toBe('\\- not a list, = and + neither')
    expect(markdown('+1')).toBe('\\+1')
    expect(markdown('a # b - c')).toBe('a # b - c')
  })

  it('escape the start of the text also when a module at a version follows', () => {
    expect(markdown('# example.com/m@v1.0.0 - x')).toBe('\\# `example.com/m@v1.0.0` - x')
    expect(markdown('- fetched example.com/m@v1.0.0, example.com/n@v2.0.0.')).toBe('\\- fetched `example.com/m@v1.0.0`, `example.com/n@v2.0.0`.')
  })

  it('join their lines with one space, the white space around each break dropped', () => {
    expect(markdown('a  \r\n\n  b\rc')).toBe('a b c')
  })
})

describe('quoted words', () => {
  it('are a code span on one line, each run of line breaks one space', () => {
    expect(markdown(quoted('a\r\nb\n\nc'))).toBe('`a b c`')
  })

  it('are fenced by one backtick more than their longest run', () => {
    expect(markdown(quoted('a``b`c'))).toBe('```a``b`c```')
    expect(markdown(quoted('a`b'))).toBe('``a`b``')
  })

  it('are padded with a space where a backtick or a space stands at an end', () => {
    expect(markdown(quoted('`x'))).toBe('`` `x ``')
    expect(markdown(quoted('x '))).toBe('` x  `')
  })

  it('show a dash when there is nothing to show', () => {
    expect(markdown(quoted(''))).toBe('—')
    expect(markdown(quoted(' \n\r '))).toBe('—')
  })
})

describe('html', () => {
  it('joins the lines of quoted words with one space, the white space around each break dropped', () => {
    expect(html(quoted('a  \r\n\n  b\nc'))).toBe('<code>a b c</code>')
    expect(html(quoted('a\nb'))).toBe('<code>a b</code>')
    expect(html(['x ', quoted('<a href="#">\n&</a>')])).toBe('x <code>&lt;a href=&quot;#&quot;&gt; &amp;&lt;/a&gt;</code>')
  })
})
